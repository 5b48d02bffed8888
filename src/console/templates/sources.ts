/** CONTRACT 8 `/console/sources`: who calls, who receives, and how each is doing. `it` is a SourcesPage. */
export const SOURCES = `<% layout('@layout') %>
<h1>Sources</h1>
<p class="hint">Counts are of the last hour, up to <%= it.now %>.</p>
<div class="scroll">
<table class="list">
  <thead><tr><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Health</th><th scope="col">Last request</th><th scope="col">Accepted</th><th scope="col">Duplicates</th><th scope="col">Rejected</th></tr></thead>
  <tbody>
<% for (const row of it.sources) { %>
    <tr>
      <td data-label="Source"><a href="<%= row.href %>"><%= row.id %></a></td>
      <td data-label="Type"><%= row.type %></td>
      <td data-label="Health"><span class="health h-<%= row.health %>"><%= row.healthText %></span></td>
      <td data-label="Last request"><%= row.lastRequest %></td>
      <td data-label="Accepted" class="num"><%= row.accepted %></td>
      <td data-label="Duplicates" class="num"><%= row.duplicate %></td>
      <td data-label="Rejected" class="num"><%= row.rejected %></td>
    </tr>
<% } %>
  </tbody>
</table>
</div>
<h2>Subscribers</h2>
<p class="hint">A paused subscriber's deliveries wait, in order, in every process, until it is resumed.</p>
<% if (it.subscribers.length === 0) { %>
<p class="empty">No subscribers are configured: events are stored, nothing is forwarded.</p>
<% } else { %>
<div class="scroll">
<table class="list">
  <thead><tr><th scope="col">Subscriber</th><th scope="col">URL</th><th scope="col">Health</th><th scope="col">Pending</th><th scope="col">Oldest pending</th><th scope="col">Dead</th><th scope="col">Paused</th></tr></thead>
  <tbody>
<% for (const row of it.subscribers) { %>
    <tr>
      <td data-label="Subscriber"><%= row.id %></td>
      <td data-label="URL"><code class="url"><%= row.url %></code></td>
      <td data-label="Health"><span class="health h-<%= row.health %>"><%= row.healthText %></span></td>
      <td data-label="Pending" class="num"><%= row.pending %></td>
      <td data-label="Oldest pending"><%= row.oldestPending %></td>
      <td data-label="Dead" class="num"><% if (row.dead > 0) { %><a href="<%= row.deadHref %>"><%= row.dead %></a><% } else { %>0<% } %></td>
      <td data-label="Paused"><%= row.paused %>
        <form method="post" action="<%= row.toggleAction %>" class="inline">
          <input type="hidden" name="_csrf" value="<%= it.csrf %>">
          <button type="submit" class="quiet"><%= row.toggleLabel %></button>
        </form>
      </td>
    </tr>
<% } %>
  </tbody>
</table>
</div>
<% } %>
`;
