// A subscriber that answers every delivery 204 at once and notes, for callbacks the bench marked
// with their send time (a reference `L<epoch ms>-…`), how long after sending it arrived.
// Sends {type: 'listening', port}; answers {type: 'stats'} with {delivered, latenciesMs}.
const { createServer } = require('node:http');

const SENT_AT = /^L(\d{13})-/;
let delivered = 0;
const latenciesMs = [];

function noteArrival(body) {
  delivered++;
  const reference = JSON.parse(body).data?.reference ?? '';
  const sent = SENT_AT.exec(reference);
  if (sent) latenciesMs.push(Date.now() - Number(sent[1]));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    noteArrival(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(204).end();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port });
});
process.on('message', (message) => {
  if (message.type === 'stats') process.send({ type: 'stats', delivered, latenciesMs });
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
