/** The frame of every page: navigation, sign-out, notices. `it` is a PageData (views.ts). */
export const LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title><%= it.title %> · Receiver console</title>
<link rel="stylesheet" href="/console/assets/console.css?v=<%= it.assetVersion %>">
<script src="/console/assets/console.js?v=<%= it.assetVersion %>" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/console">Receiver console</a>
<% if (it.csrf) { %>
  <nav aria-label="Console">
<% for (const link of it.links) { %>
    <a href="<%= link.href %>"<% if (link.current) { %> aria-current="page"<% } %>><%= link.label %></a>
<% } %>
  </nav>
  <form method="post" action="/console/logout" class="signout">
    <input type="hidden" name="_csrf" value="<%= it.csrf %>">
    <button type="submit">Sign out</button>
  </form>
<% } %>
</header>
<main>
<% if (it.notice) { %>  <p class="notice" role="status"><%= it.notice %></p>
<% } %>
<% if (it.error) { %>  <p class="problem" role="alert"><%= it.error %></p>
<% } %>
<%~ it.body %>
</main>
<footer class="foot">Times are UTC.</footer>
</body>
</html>
`;

/** A page that only says something: not found, forbidden, an error. */
export const MESSAGE = `<% layout('@layout') %>
<h1><%= it.title %></h1>
<p><%= it.message %></p>
<p><a href="<%= it.back %>"><%= it.backLabel %></a></p>
`;

/** CONTRACT 8: a password field labelled "Admin token" and a button "Sign in". */
export const LOGIN = `<% layout('@layout') %>
<h1>Sign in</h1>
<% if (!it.enabled) { %>
<p class="problem">Signing in is off: the server was started without ADMIN_TOKEN.</p>
<% } %>
<form method="post" action="/console/login" class="login">
  <input type="hidden" name="_csrf" value="<%= it.loginCsrf %>">
  <input type="hidden" name="next" value="<%= it.next %>">
  <label for="admin-token">Admin token</label>
  <input id="admin-token" name="token" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Sign in</button>
</form>
<p class="hint">The same token as the admin API's bearer token. A session lasts 8 hours.</p>
`;
