/** CONTRACT 8 `/console/deliveries?state=dead`: `Retry` each, or `Retry all shown`. `it` is a DeliveriesPage. */
export const DELIVERIES = `<% layout('@layout') %>
<h1><%= it.heading %></h1>
<form method="get" action="/console/deliveries" class="search">
  <div class="fields">
    <div class="field">
      <label for="f-state">State</label>
      <select id="f-state" name="state">
<% for (const state of it.states) { %>        <option value="<%= state %>"<% if (state === it.form.state) { %> selected<% } %>><%= state %></option>
<% } %>
      </select>
    </div>
    <div class="field">
      <label for="f-subscriber">Subscriber</label>
      <select id="f-subscriber" name="subscriber">
        <option value="">Any</option>
<% for (const id of it.subscribers) { %>        <option value="<%= id %>"<% if (id === it.form.subscriber) { %> selected<% } %>><%= id %></option>
<% } %>
      </select>
    </div>
  </div>
  <button type="submit">Show</button>
</form>
<% if (it.rows.length === 0) { %>
<p class="empty">No <%= it.form.state %> deliveries<%= it.form.subscriber ? ' for ' + it.form.subscriber : '' %>.</p>
<% } else { %>
<% if (it.retryAllIds.length > 0) { %>
<form method="post" action="/console/deliveries/retry" class="bulk">
  <input type="hidden" name="_csrf" value="<%= it.csrf %>">
  <input type="hidden" name="back" value="<%= it.selfHref %>">
<% for (const id of it.retryAllIds) { %>  <input type="hidden" name="id" value="<%= id %>">
<% } %>
  <button type="submit">Retry all shown</button>
  <span class="hint"><%= it.retryAllIds.length %> on this page</span>
</form>
<% } %>
<div class="scroll">
<table class="list">
  <thead><tr><th scope="col">Created</th><th scope="col">Subscriber</th><th scope="col">Source</th><th scope="col">Reference</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col"><span class="sr">Action</span></th></tr></thead>
  <tbody>
<% for (const row of it.rows) { %>
    <tr>
      <td data-label="Created"><%= row.time %></td>
      <td data-label="Subscriber"><%= row.subscriber %></td>
      <td data-label="Source"><%= row.source %></td>
      <td data-label="Reference"><a href="<%= row.href %>"><%= row.reference %></a></td>
      <td data-label="Attempts" class="num"><%= row.attempts %></td>
      <td data-label="Last error"><%= row.lastError %></td>
      <td data-label="Action"><% if (row.retryAction) { %><form method="post" action="<%= row.retryAction %>" class="inline">
        <input type="hidden" name="_csrf" value="<%= it.csrf %>">
        <input type="hidden" name="back" value="<%= it.selfHref %>">
        <button type="submit">Retry</button>
      </form><% } else { %><%= row.stateNote %><% } %></td>
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
