import Fastify from 'fastify';
import { serveMeasurements } from '../support/ipc.js';

// Child entry: the baseline server, fastify with one JSON route and nothing else (no logger, no
// hooks, no auth, no database), i.e. the framework's own cost on this machine.
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
serveMeasurements({ url: `http://127.0.0.1:${port}`, detail: 'bare fastify' }, () => app.close());
