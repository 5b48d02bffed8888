// The ceiling for the receiver's routes: express with nothing behind it, in its own process like
// the receiver. Sends {type: 'listening', port} over IPC once it accepts connections.
const express = require('express');

const app = express();
app.get('/ok', (_req, res) => {
  res.send('OK');
});
app.post('/ok', express.json(), (req, res) => {
  res.json(req.body);
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
