// Child processes the bench starts and stops: the load generator (this process) must not share an
// event loop or a core's time slices with what it measures.
const { fork, spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { clearTimeout, setTimeout } = require('node:timers');
const { setTimeout: sleep } = require('node:timers/promises');

const started = new Set();

/** A port nobody listens on right now (the receiver only reports the ports it chose at info level). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A node script of ours, with an IPC channel for its results. */
function forkScript(file, args = []) {
  const child = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return track(child);
}

/** Any command, its output kept (the last 8 KiB) for the error message if it dies. */
function spawnCommand(command, args, env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.output = () => output;
  return track(child);
}

function track(child) {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** The next IPC message of this type from a child, or an error if it exits first. */
function nextMessage(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message?.type !== type) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`child exited with ${code} before sending "${type}"`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks a child a question over IPC and waits for the answer of the same type. */
function ask(child, type) {
  const answer = nextMessage(child, type);
  child.send({ type });
  return answer;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Leaves nothing running when the bench ends early. */
function killAll() {
  for (const child of started) child.kill('SIGKILL');
}

/** Resident memory of a process in MiB, from /proc (Linux only; null elsewhere). */
function rssMiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Polls `url` until it answers 200; fails if `child` exits first or `timeoutMs` passes. */
async function waitUntilOk(url, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}: ${child.output?.() ?? ''}`);
    if (await answersOk(url)) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${child.output?.() ?? ''}`);
}

async function answersOk(url) {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

module.exports = { freePort, forkScript, spawnCommand, nextMessage, ask, stop, killAll, rssMiB, waitUntilOk };
