import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBuildStep } from './image-build.js';

test("build steps are read from Docker's classic builder and podman's compat API alike", () => {
  assert.deepEqual(parseBuildStep('Step 3/9 : RUN apt-get update'), { step: 3, total: 9 });
  assert.deepEqual(parseBuildStep('STEP 3/9: RUN apt-get update'), { step: 3, total: 9 });
  assert.deepEqual(parseBuildStep('STEP 12/12: LABEL a=b'), { step: 12, total: 12 });
  assert.deepEqual(parseBuildStep(' ---> Running in 1c2d'), undefined);
  assert.deepEqual(parseBuildStep('COMMIT streamspace/xterm:latest'), undefined);
  assert.deepEqual(parseBuildStep('echo Step 3/9 : not a step'), undefined);
});
