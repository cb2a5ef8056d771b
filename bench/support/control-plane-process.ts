import { loadConfig, startControlPlane } from '@streamspace/control-plane';
import { serveMeasurements } from './ipc.js';

// Child entry: one control plane configured by the environment the bench built (control-plane-env.ts),
// measured on request over IPC. Started with fork(), never on its own.
const loaded = loadConfig(process.env);
if (!loaded.ok) throw new Error(`control-plane config invalid: ${loaded.problems.join('; ')}`);
const cp = await startControlPlane(loaded.config);
const database = loaded.config.database.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL';
serveMeasurements({ url: cp.url, detail: database }, () => cp.stop());
