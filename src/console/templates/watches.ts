/** CONTRACT 8 `/console/watches`: the pull-only providers' watches (CONTRACT 7). `it` is a WatchesPage. */
export const WATCHES = `<% layout('@layout') %>
<h1>Watches</h1>
<form method="get" action="/console/watches" class="search">
  <div class="fields">
    <div class="field">
      <label for="f-wstate">State</label>
      <select id="f-wstate" name="state">
        <option value="">Any</option>
<% for (const state of it.states) { %>        <option value="<%= state %>"<% if (state === it.form.state) { %> selected<% } %>><%= state %></option>
<% } %>
      </select>
    </div>
    <div class="field">
      <label for="f-wsource">Source</label>
      <select id="f-wsource" name="source">
        <option value="">Any</option>
<% for (const id of it.sources) { %>        <option value="<%= id %>"<% if (id === it.form.source) { %> selected<% } %>><%= id %></option>
<% } %>
      </select>
    </div>
  </div>
  <button type="submit">Show</button>
</form>
<% if (it.rows.length === 0) { %>
<p class="empty">No watches<%= it.filtered ? ' match' : ' yet' %>.</p>
<% } else { %>
<div class="scroll">
<table class="list">
  <thead><tr><th scope="col">Invoice</th><th scope="col">Source</th><th scope="col">State</th><th scope="col">Polls</th><th scope="col">Last poll</th><th scope="col">Last answer</th><th scope="col">Deadline</th></tr></thead>
  <tbody>
<% for (const row of it.rows) { %>
    <tr>
      <td data-label="Invoice"><a href="<%= row.href %>"><%= row.invoice %></a><% if (row.customerNumber) { %> <span class="hint"><%= row.customerNumber %></span><% } %></td>
      <td data-label="Source"><%= row.source %></td>
      <td data-label="State"><span class="state st-<%= row.state %>"><%= row.state %></span></td>
      <td data-label="Polls" class="num"><%= row.polls %></td>
      <td data-label="Last poll"><%= row.lastPolled %><% if (row.lastOutcome) { %> <span class="tag"><%= row.lastOutcome %></span><% } %></td>
      <td data-label="Last answer"><% if (row.lastAnswer) { %><code class="body"><%= row.lastAnswer %></code><% } %></td>
      <td data-label="Deadline"><%= row.deadline %></td>
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
