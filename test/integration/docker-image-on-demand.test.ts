import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Progress } from '@streamspace/protocol';
import {
  type DockerDriver,
  DriverError,
  containerName,
  createAgentLogger,
  createDriver,
  loadAgentConfig,
  type ImageRecipes,
} from '@streamspace/agent';
import { xtermSession } from '../support/driver-contract.js';
import { PGLITE } from '../support/databases.js';
import { startTestControlPlane } from '../support/control-plane.js';
import { openEvents } from '../support/event-stream.js';
import { LogCapture } from '../support/log-capture.js';
import {
  TEST_DOCKER_HOST,
  XTERM_IMAGE,
  execIn,
  removeAgentResources,
  requireContainerEngine,
  startDockerAgent,
  testDockerDriver,
} from '../support/podman.js';

// A tiny catalog of its own: one layer on the xterm image already here (no registry is reachable),
// so the on-demand build takes seconds and the session it makes serves VNC like xterm's.
const AGENT_ID = `ondemand-${process.pid}`;
const POOL = `docker:ondemand-${process.pid}`;
const IMAGE = `streamspace/ondemand-test-${process.pid}:latest`;
const BROKEN_IMAGE = `streamspace/ondemand-broken-${process.pid}:latest`;
/** Built by the agent that a control plane commands, so its steps are read back from the API. */
const API_IMAGE = `streamspace/ondemand-api-${process.pid}:latest`;
const MARKER = 'built-on-demand';
let docker: Docker;
let catalogDir: string;
let builds = 0;

const recipes: ImageRecipes = {
  async recipeFor(image) {
    const name = image === IMAGE || image === API_IMAGE ? 'small' : image === BROKEN_IMAGE ? 'broken' : undefined;
    if (!name) return undefined;
    return {
      contextDir: catalogDir,
      containerfile: `${name}/Containerfile`,
      buildArgs: { BASE: XTERM_IMAGE },
      labels: { 'io.streamspace.test': name },
      manualCommand: `npx streamspace image build ${name}`,
    };
  },
};

const removeImages = async () => {
  for (const image of [IMAGE, BROKEN_IMAGE, API_IMAGE])
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
};

/** Runs `use` with a driver that builds the test catalog's images (or none without recipes). */
async function withDriver(imageRecipes: ImageRecipes | undefined, use: (driver: DockerDriver) => Promise<void>) {
  const driver = await testDockerDriver({
    docker,
    agentId: AGENT_ID,
    pool: POOL,
    ...(imageRecipes ? { imageRecipes } : {}),
  });
  try {
    await use(driver);
  } finally {
    await driver.close();
  }
}

/** Starts a session of `image`, which must fail as image_not_found; returns the failure's message. */
async function imageNotFound(driver: DockerDriver, image: string): Promise<string> {
  const spec = xtermSession({ template: { image, name: 'other', persistent_home: false } });
  const error = await driver
    .start(spec, () => {})
    .then(
      () => assert.fail(`a session of ${image} started`),
      (e: unknown) => e as DriverError,
    );
  assert.ok(error instanceof DriverError, String(error));
  assert.equal(error.code, 'image_not_found');
  return error.message;
}

before(async () => {
  docker = await requireContainerEngine();
  // Counts the builds the engine is asked for: two sessions waiting for one image make one.
  const buildImage = docker.buildImage.bind(docker) as (...args: unknown[]) => unknown;
  (docker as unknown as { buildImage: (...args: unknown[]) => unknown }).buildImage = (...args) => {
    builds++;
    return buildImage(...args);
  };
  catalogDir = await mkdtemp(join(tmpdir(), 'streamspace-catalog-'));
  await mkdir(join(catalogDir, 'small'));
  await writeFile(
    join(catalogDir, 'small/Containerfile'),
    `ARG BASE\nFROM \${BASE}\nUSER root\nRUN echo ${MARKER} > /etc/streamspace-on-demand\nUSER 1000\n`,
  );
  await mkdir(join(catalogDir, 'broken'));
  await writeFile(
    join(catalogDir, 'broken/Containerfile'),
    `ARG BASE\nFROM \${BASE}\nRUN echo the-build-broke-here >&2; exit 3\n`,
  );
  await removeImages();
});

after(async () => {
  await removeAgentResources(docker, AGENT_ID);
  await removeImages();
  await rm(catalogDir, { recursive: true, force: true });
});

test('a missing catalog image is built once for two sessions, its steps their start-up progress', async () => {
  await withDriver(recipes, async (driver) => {
    const seen: Progress[][] = [[], []];
    const specs = [0, 1].map(() => xtermSession({ template: { image: IMAGE, name: 'small', persistent_home: false } }));
    const endpoints = await Promise.all(specs.map((spec, i) => driver.start(spec, (p) => seen[i]!.push(p))));
    assert.equal(builds, 1, 'one build for both sessions');
    for (const [i, progress] of seen.entries()) {
      const steps = progress.filter((p) => /^building image .+: step \d+\/\d+$/.test(p.message));
      assert.ok(steps.length >= 3, `session ${i} saw the build's steps: ${progress.map((p) => p.message).join(' | ')}`);
      assert.ok(steps.every((p) => p.step === 'image' && p.total === steps[0]!.total && p.current! <= p.total!));
      assert.equal(steps.at(-1)!.current, steps.at(-1)!.total, 'the last step is reached');
      assert.ok(progress.some((p) => p.message === `built image ${IMAGE}`));
      assert.ok(
        progress.some((p) => p.step === 'vnc'),
        'then the session starts as usual',
      );
      assert.ok(endpoints[i]!.port > 0);
      const marker = await execIn(docker, containerName(specs[i]!.sessionId), 'cat /etc/streamspace-on-demand');
      assert.equal(marker.trim(), MARKER);
    }
    // Present now: the next session does not build again.
    await driver.start(xtermSession({ template: { image: IMAGE, name: 'small', persistent_home: false } }), () => {});
    assert.equal(builds, 1);
  });
});

test('a failed build fails the session with its last lines and the command to run by hand', async () => {
  await withDriver(recipes, async (driver) => {
    const message = await imageNotFound(driver, BROKEN_IMAGE);
    assert.match(message, /building it failed; build it by hand with `npx streamspace image build broken`/);
    assert.match(message, /the-build-broke-here/, "the build's own output");
    assert.match(message, /exit (status|code).*3|returned a non-zero code: 3/);
  });
});

test('an image outside the catalog is never built: it fails with the message naming the build command', async () => {
  await withDriver(recipes, async (driver) => {
    const before = builds;
    const spec = xtermSession({ template: { image: 'streamspace/not-in-catalog:latest', name: 'other' } });
    await assert.rejects(
      driver.start(spec, () => {}),
      /is not on this host and could not be pulled.*streamspace image build other/s,
    );
    assert.equal(builds, before);
  });
});

test('a standalone agent (IMAGE_BUILD_ON_DEMAND defaults to false) does not build, even given the recipes', async () => {
  const env = {
    AGENT_ID,
    CONTROL_PLANE_URL: 'ws://127.0.0.1:1',
    DOCKER_HOST: TEST_DOCKER_HOST,
    AGENT_POOL: POOL,
  };
  const loaded = loadAgentConfig(env, { platform: 'docker' });
  assert.ok(loaded.ok);
  assert.equal(loaded.config.imageBuildOnDemand, false);
  const { driver } = await createDriver(loaded.config, createAgentLogger('silent'), recipes);
  try {
    await docker
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    const before = builds;
    const spec = xtermSession({ template: { image: IMAGE, name: 'small', persistent_home: false } });
    await assert.rejects(
      driver.start(spec, () => {}),
      /build it with `streamspace image build small`/,
    );
    assert.equal(builds, before);
  } finally {
    await driver.close();
  }
});

test("through the API: the session's progress shows the build's steps, then it runs", async () => {
  const fresh = await PGLITE.fresh();
  const cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  const agentId = `${AGENT_ID}-api`;
  const agent = await startDockerAgent(cp.url, agentId, {
    env: { IMAGE_BUILD_ON_DEMAND: 'true', AGENT_POOL: `${POOL}-api` },
    imageRecipes: recipes,
  });
  const events = await openEvents(cp, cp.token!);
  try {
    const template = await cp.api('POST', '/api/v1/templates', {
      body: { name: 'small', display_name: 'Small', image: API_IMAGE, platform: 'docker' },
    });
    assert.equal(template.status, 201, JSON.stringify(template.body));
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'small', state: 'running' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const text = await events.received('"state":"running"');
    const steps = [...text.matchAll(/building image ([^"]+): step (\d+)\/(\d+)/g)];
    assert.ok(steps.length >= 2, `the stream showed the build's steps: ${text.slice(0, 2000)}`);
    assert.ok(steps.every((m) => m[1] === API_IMAGE));
    const running = (await cp.api('GET', `/api/v1/sessions/${created.body.id as string}`)).body;
    assert.equal(running.state, 'running');
  } finally {
    await events.cancel();
    await agent.stop();
    await cp.stop();
    await fresh.close();
    await removeAgentResources(docker, agentId);
  }
});

test('an agent told IMAGE_BUILD_ON_DEMAND=true without the recipes says so at start', async () => {
  const logs = new LogCapture();
  const loaded = loadAgentConfig(
    {
      AGENT_ID,
      CONTROL_PLANE_URL: 'ws://127.0.0.1:1',
      DOCKER_HOST: TEST_DOCKER_HOST,
      AGENT_POOL: POOL,
      IMAGE_BUILD_ON_DEMAND: 'true',
    },
    { platform: 'docker' },
  );
  assert.ok(loaded.ok);
  const { driver } = await createDriver(loaded.config, createAgentLogger('info', logs));
  await driver.close();
  const warning = logs.messages().find((m) => String(m.msg).startsWith('IMAGE_BUILD_ON_DEMAND is true'));
  assert.match(String(warning?.msg), /no image recipes \(it runs without the repository checkout\)/);
});

test('a build that cannot be prepared (no base image to build on) fails the session saying why', async () => {
  const unprepared: ImageRecipes = {
    recipeFor: () => Promise.reject(new Error('cannot pull debian:bookworm-slim and debootstrap is not installed')),
  };
  await withDriver(unprepared, async (driver) => {
    assert.match(
      await imageNotFound(driver, IMAGE),
      /could not be prepared: cannot pull debian:bookworm-slim and debootstrap is not installed/,
    );
  });
});
