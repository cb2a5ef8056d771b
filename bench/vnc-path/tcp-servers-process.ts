import { serveMeasurements } from '../support/ipc.js';
import { bannerServer, echoServer, portOf, sourceServer } from './tcp-servers.js';

// Child entry: the byte sources the paths lead to, in their own process, so that their sockets
// (10,000 idle ones among them) and their CPU are neither the load generator's nor the relays'.
// Its ready message's detail is the templates' ports, as JSON.
const bytes = Number(process.env.BENCH_BYTES);
const servers = {
  'bench-source': await sourceServer(bytes),
  // The head-of-line neighbour runs longer than the probe beside it.
  'bench-bulk': await sourceServer(bytes * 4),
  'bench-echo': await echoServer(),
  'bench-idle': await bannerServer(),
};
const ports = Object.fromEntries(Object.entries(servers).map(([name, server]) => [name, portOf(server)]));
serveMeasurements({ url: '', detail: JSON.stringify(ports) }, async () => {
  for (const server of Object.values(servers)) server.close();
});
