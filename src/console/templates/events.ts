/** CONTRACT 8 `/console`: the search form and one page of events. `it` is an EventsPage (events.page.ts). */
export const EVENTS = `<% layout('@layout') %>
<h1>Events</h1>
<form method="get" action="/console" class="search" role="search">
  <div class="fields">
    <div class="field">
      <label for="f-reference">Reference</label>
      <input id="f-reference" name="reference" value="<%= it.form.reference %>" autocomplete="off" spellcheck="false">
    </div>
    <div class="field">
      <label for="f-source">Source</label>
      <input id="f-source" name="source" value="<%= it.form.source %>" list="known-sources" autocomplete="off" spellcheck="false">
      <datalist id="known-sources">
<% for (const id of it.sources) { %>        <option value="<%= id %>"></option>
<% } %>
      </datalist>
    </div>
    <div class="field">
      <label for="f-channel">Channel</label>
      <select id="f-channel" name="channel">
        <option value="">Any</option>
<% for (const channel of it.channels) { %>        <option value="<%= channel %>"<% if (channel === it.form.channel) { %> selected<% } %>><%= channel %></option>
<% } %>
      </select>
    </div>
    <div class="field">
      <label for="f-status">Status</label>
      <select id="f-status" name="status">
        <option value="">Any</option>
<% for (const status of it.statuses) { %>        <option value="<%= status %>"<% if (status === it.form.status) { %> selected<% } %>><%= status %></option>
<% } %>
      </select>
    </div>
    <div class="field">
      <label for="f-since">Since</label>
      <input id="f-since" name="since" value="<%= it.form.since %>" placeholder="2026-11-22 10:00" aria-describedby="time-hint" autocomplete="off">
    </div>
    <div class="field">
      <label for="f-until">Until</label>
      <input id="f-until" name="until" value="<%= it.form.until %>" placeholder="2026-11-22 11:00" aria-describedby="time-hint" autocomplete="off">
    </div>
  </div>
  <p id="time-hint" class="hint">Since is inclusive, Until exclusive; UTC unless an offset such as +07:00 is given.</p>
  <button type="submit">Search</button>
  <a class="reset" href="/console">Clear</a>
</form>
<% if (it.rows.length === 0) { %>
<p class="empty"><%= it.searched ? 'No events match.' : 'No events yet.' %></p>
<% } else { %>
<div class="scroll">
<table class="list">
  <caption class="hint"><%= it.caption %></caption>
  <thead><tr><th scope="col">Time</th><th scope="col">Source</th><th scope="col">Channel</th><th scope="col">Reference</th><th scope="col">Status</th><th scope="col">Amount</th></tr></thead>
  <tbody>
<% for (const row of it.rows) { %>
    <tr>
      <td data-label="Time"><time datetime="<%= row.createdAt %>"><%= row.time %></time></td>
      <td data-label="Source"><%= row.source %></td>
      <td data-label="Channel"><%= row.channel %></td>
      <td data-label="Reference"><a href="<%= row.href %>"><%= row.reference %></a></td>
      <td data-label="Status"><span class="status s-<%= row.status %>"><%= row.status %></span><% if (row.stale) { %> <span class="tag">stale</span><% } %><% if (row.reversal) { %> <span class="tag alarm">reversal</span><% } %></td>
      <td data-label="Amount" class="num"><%= row.amount %></td>
    </tr>
<% } %>
  </tbody>
</table>
</div>
<% } %>
<nav class="pager" aria-label="Pages">
<% if (it.firstHref) { %>  <a href="<%= it.firstHref %>">First page</a>
<% } %>
<% if (it.nextHref) { %>  <a href="<%= it.nextHref %>" rel="next">Next</a>
<% } %>
</nav>
`;
