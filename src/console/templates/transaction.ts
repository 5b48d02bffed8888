/**
 * CONTRACT 8 `/console/transactions/:source/:reference`: the current status, then each event
 * with the report it came from and what went out. `it` is a TransactionPage (transaction.page.ts).
 */
export const TRANSACTION = `<% layout('@layout') %>
<h1>Transaction <span class="ref"><%= it.reference %></span></h1>
<dl class="summary">
  <div><dt>Current status</dt><dd><span class="status big s-<%= it.status %>"><%= it.status %></span></dd></div>
  <div><dt>Source</dt><dd><%= it.source %></dd></div>
  <div><dt>Channel</dt><dd><%= it.channel %></dd></div>
  <div><dt>Events</dt><dd><%= it.events.length %></dd></div>
  <div><dt>First report</dt><dd><%= it.createdAt %></dd></div>
  <div><dt>Last report</dt><dd><%= it.updatedAt %></dd></div>
</dl>
<section id="timeline" aria-label="Timeline"<% if (it.pending) { %> data-refresh="pending"<% } %>>
<p class="hint"><% if (it.pending) { %>Deliveries are pending: this part refreshes by itself. <% } %><a href="<%= it.selfHref %>">Refresh</a></p>
<ol class="timeline">
<% for (const event of it.events) { %>
  <li class="event<% if (event.reversal) { %> reversal<% } %><% if (event.stale) { %> stale<% } %>" id="<%= event.id %>">
    <div class="event-head">
      <h2><span class="seq">#<%= event.seq %></span> <span class="status s-<%= event.status %>"><%= event.status %></span><% if (event.stale) { %> <span class="tag">stale</span><% } %><% if (event.reversal) { %> <span class="tag alarm">reversal: refund the customer</span><% } %><% if (event.current) { %> <span class="tag">sets the current status</span><% } %></h2>
      <form method="post" action="<%= event.replayAction %>" class="inline">
        <input type="hidden" name="_csrf" value="<%= it.csrf %>">
        <button type="submit">Replay</button>
      </form>
    </div>
    <dl class="facts">
      <div><dt>Event</dt><dd><code><%= event.id %></code></dd></div>
      <div><dt>Stored</dt><dd><%= event.time %></dd></div>
      <div><dt>Provider status</dt><dd><%= event.providerStatus %></dd></div>
<% if (event.providerReference) { %>      <div><dt>Provider reference</dt><dd><%= event.providerReference %></dd></div>
<% } %>
<% if (event.amount) { %>      <div><dt>Amount</dt><dd><%= event.amount %></dd></div>
<% } %>
<% if (event.occurredAt) { %>      <div><dt>Occurred</dt><dd><%= event.occurredAt %></dd></div>
<% } %>
    </dl>
<% if (event.inbound) { const inbound = event.inbound; %>
    <h3>Report received</h3>
    <p class="report"><span class="method"><%= inbound.method %></span> <code class="url"><%= inbound.url %></code></p>
    <dl class="facts">
      <div><dt>Received</dt><dd><%= inbound.receivedAt %></dd></div>
      <div><dt>From</dt><dd><%= inbound.clientIp %></dd></div>
      <div><dt>Outcome</dt><dd><%= inbound.outcome %><% if (inbound.reason) { %>: <%= inbound.reason %><% } %></dd></div>
      <div><dt>Our answer</dt><dd><span class="code-<%= inbound.answerClass %>"><%= inbound.responseStatus %></span> <code><%= inbound.responseSummary %></code></dd></div>
<% if (inbound.signature) { %>      <div><dt>Signature matched</dt><dd><%= inbound.signature %></dd></div>
<% } %>
    </dl>
    <details>
      <summary>Request headers and body (secrets redacted)</summary>
      <table class="kv"><tbody>
<% for (const [name, value] of inbound.headers) { %>        <tr><th scope="row"><%= name %></th><td><%= value %></td></tr>
<% } %>
      </tbody></table>
<% if (inbound.body) { %>      <pre><%= inbound.body %></pre>
<% } %>
      <p>Our answer:</p>
      <pre><%= inbound.responseBody %></pre>
    </details>
<% } else { %>
    <p class="hint">No stored report: its inbound record was removed by retention.</p>
<% } %>
<% if (event.repeats.length > 0) { %>
    <details class="repeats">
      <summary>Reported again <%= event.repeats.length %> time<%= event.repeats.length === 1 ? '' : 's' %></summary>
<% for (const repeat of event.repeats) { if (!repeat) continue; %>
      <p class="report"><span class="method"><%= repeat.method %></span> <code class="url"><%= repeat.url %></code></p>
      <dl class="facts">
        <div><dt>Received</dt><dd><%= repeat.receivedAt %></dd></div>
        <div><dt>From</dt><dd><%= repeat.clientIp %></dd></div>
        <div><dt>Outcome</dt><dd><%= repeat.outcome %><% if (repeat.reason) { %>: <%= repeat.reason %><% } %></dd></div>
        <div><dt>Our answer</dt><dd><span class="code-<%= repeat.answerClass %>"><%= repeat.responseStatus %></span> <code><%= repeat.responseSummary %></code></dd></div>
      </dl>
<% } %>
    </details>
<% } %>
    <details>
      <summary>Event details</summary>
      <pre><%= event.details %></pre>
    </details>
    <h3>Deliveries</h3>
<% if (event.deliveries.length === 0) { %>
    <p class="hint">No subscriber takes this event.</p>
<% } %>
<% for (const delivery of event.deliveries) { %>
    <div class="delivery">
      <p><strong><%= delivery.subscriber %></strong> <span class="state st-<%= delivery.state %>"><%= delivery.state %></span> <span class="hint"><%= delivery.summary %></span></p>
<% if (delivery.retryAction) { %>
      <form method="post" action="<%= delivery.retryAction %>" class="inline">
        <input type="hidden" name="_csrf" value="<%= it.csrf %>">
        <input type="hidden" name="back" value="<%= it.selfHref %>">
        <button type="submit">Retry</button>
      </form>
<% } %>
<% if (delivery.attempts.length > 0) { %>
      <table class="list attempts">
        <thead><tr><th scope="col">Attempt</th><th scope="col">Time</th><th scope="col">Result</th><th scope="col">Latency</th><th scope="col">Then</th></tr></thead>
        <tbody>
<% for (const attempt of delivery.attempts) { %>
          <tr>
            <td data-label="Attempt"><%= attempt.attempt %></td>
            <td data-label="Time"><%= attempt.time %></td>
            <td data-label="Result"><span class="code-<%= attempt.resultClass %>"><%= attempt.result %></span><% if (attempt.body) { %> <code class="body"><%= attempt.body %></code><% } %></td>
            <td data-label="Latency" class="num"><%= attempt.latency %></td>
            <td data-label="Then"><%= attempt.outcome %></td>
          </tr>
<% } %>
        </tbody>
      </table>
<% } %>
    </div>
<% } %>
  </li>
<% } %>
</ol>
</section>
`;
