// Sends a fixed set of DogStatsD metrics to 127.0.0.1:PORT with hot-shots,
// the npm DogStatsD client, then exits 0 (1 on any client error).
// tests/ingest/statsd_hot_shots_test.cpp asserts the exact series perfwatch
// makes of them; keep the two in step.
//
//   node tests/clients/statsd_hot_shots.js PORT

const StatsD = require('hot-shots');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: statsd_hot_shots.js PORT');
  process.exit(2);
}

// hot-shots sends a call with sample rate r only when Math.random() < r;
// the test needs every call on the wire (still marked "|@r").
Math.random = () => 0;

const client = new StatsD({
  host: '127.0.0.1',
  port,
  prefix: 'shop.',
  globalTags: { app: 'shop' },
  // Several lines per datagram, as production clients send them.
  maxBufferSize: 1000,
  bufferFlushInterval: 20,
  errorHandler: (err) => {
    console.error('hot-shots error:', err);
    process.exitCode = 1;
  },
});

// Counter: 3 x 1 + 2 at rate 0.5 = 7; a decrement is refused (counters only rise).
for (let i = 0; i < 3; i++) client.increment('orders', 1, ['region:eu']);
client.increment('orders', 2, 0.5, ['region:eu']);
client.decrement('orders', 1, ['region:eu']);

// Gauge: 10, +5, -3 = 12.
client.gauge('queue.size', 10);
client.gaugeDelta('queue.size', 5);
client.gaugeDelta('queue.size', -3);

// Timer: 1..100 ms with status 200; one 200 ms at rate 0.25 with status 500.
for (let v = 1; v <= 100; v++) client.timing('api.request', v, { status: '200' });
client.timing('api.request', 200, 0.25, { status: '500' });

// Histogram 300 and 700; distribution 5 at rate 0.5.
client.histogram('payload.bytes', 300, ['kind:json']);
client.histogram('payload.bytes', 700, ['kind:json']);
client.distribution('render.time', 5, 0.5);

// Set: two distinct members.
client.set('users', 'alice');
client.set('users', 'bob');
client.unique('users', 'alice');

// DogStatsD events and service checks: refused as "unsupported".
client.event('deploy', 'version 2 is out');
client.check('shop.up', client.CHECKS.OK);

client.close((err) => {
  if (err) {
    console.error('close:', err);
    process.exitCode = 1;
  }
});
