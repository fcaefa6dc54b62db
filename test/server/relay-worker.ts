/** Runs ImpairmentRelays on their own thread (own event loop: their timers are not delayed by the server under test). */
import { parentPort, workerData } from 'node:worker_threads';
import { ImpairmentRelay, type RelayOptions } from './relay.ts';

const relays = await Promise.all((workerData as { relays: RelayOptions[] }).relays.map((o) => ImpairmentRelay.open(o)));
parentPort!.on('message', (m: string) => {
  if (m === 'stats') parentPort!.postMessage({ type: 'stats', stats: relays.map((r) => r.stats) });
  else if (m === 'close') {
    relays.forEach((r) => r.close());
    parentPort!.close();
  }
});
parentPort!.postMessage({ type: 'ready', ports: relays.map((r) => r.port) });
