import { loadConfig, startControlPlane } from '@streamspace/control-plane';
import { serveMeasurements } from './ipc.js';

// Child entry: one control plane configured by the environment the bench built (control-plane-env.ts),
// measured on request over IPC. Started with fork(), never on its own.
const loaded = loadConfig(process.env);
if (!loaded.ok) throw new Error(`control-plane config invalid: ${loaded.problems.join('; ')}`);
const cp = await startControlPlane(loaded.config);
// Start-up leaves ~600 MiB of garbage (mostly PGlite's image as ArrayBuffers) that an idle process
// never collects; without this the idle baseline's RSS would exceed a loaded window's. The settle
// before the first window gives the freed memory time to go back to the OS.
(globalThis as { gc?: () => void }).gc?.();
const database = loaded.config.database.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL';
serveMeasurements(
  { url: cp.url, detail: database },
  () => cp.stop(),
  () => cp.database.engineMemoryBytes() ?? 0,
);
