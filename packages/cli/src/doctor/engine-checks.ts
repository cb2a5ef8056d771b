import type Docker from 'dockerode';
import { connectDocker } from '@streamspace/agent';
import { imageTag } from '../images/catalog.js';
import type { Check } from './check.js';

const ENGINE_TIMEOUT_MS = 10_000;

const ENGINE_FIX =
  'sudo scripts/setup-podman.sh\n' +
  'or: podman system service --time=0 unix:///run/streamspace-podman.sock &\n' +
  "or: set DOCKER_HOST to your engine's socket";

/**
 * The container engine as the agent finds it (DOCKER_HOST, else the usual sockets), then the
 * session images on it. Without an engine the images cannot be listed, which is a problem too.
 */
export async function engineChecks(
  dockerHost: string | undefined,
  images: readonly string[],
  buildsOnDemand: boolean,
): Promise<Check[]> {
  let docker: Docker;
  try {
    // A tcp:// DOCKER_HOST that drops packets would otherwise hold doctor for minutes.
    let timer: NodeJS.Timeout | undefined;
    const found = await Promise.race([
      connectDocker(dockerHost),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`No Docker or podman API answered at ${dockerHost ?? 'the usual sockets'} in 10s`)),
          ENGINE_TIMEOUT_MS,
        );
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
    docker = found.docker;
    const engine: Check = { name: 'container engine', status: 'ok', detail: `${found.engine} at ${found.endpoint}` };
    return [engine, imagesCheck(images, await missingImages(docker, images), buildsOnDemand)];
  } catch (error) {
    // connectDocker's message ends with how to start podman; the fix line says it once, shorter.
    const detail = (error as Error).message.replace(/\. Start podman's with:.*$/s, '');
    return [
      { name: 'container engine', status: 'problem', detail, fix: ENGINE_FIX },
      {
        name: 'images',
        status: 'problem',
        detail: `cannot tell whether ${images.map(imageTag).join(', ')} are present: no container engine answered`,
        fix: `start the container engine (above), then: npx streamspace image build ${images.join(' ')}`,
      },
    ];
  }
}

async function missingImages(docker: Docker, images: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of images) {
    try {
      await docker.getImage(imageTag(name)).inspect();
    } catch {
      missing.push(name);
    }
  }
  return missing;
}

/**
 * Missing session images are a problem only when nothing will build them: `streamspace up` builds
 * a missing bundled image when a session first needs it (IMAGE_BUILD_ON_DEMAND, true there unless
 * set to false), so for a newcomer who has not started a session yet they are a note.
 */
export function imagesCheck(images: readonly string[], missing: readonly string[], buildsOnDemand: boolean): Check {
  if (missing.length === 0) return { name: 'images', status: 'ok', detail: images.map(imageTag).join(', ') };
  const present = images.filter((n) => !missing.includes(n));
  const found =
    `missing ${missing.map(imageTag).join(', ')}` +
    (present.length ? `; present ${present.map(imageTag).join(', ')}` : '');
  const build = `npx streamspace image build ${missing.join(' ')}`;
  if (!buildsOnDemand) return { name: 'images', status: 'problem', detail: found, fix: build };
  return {
    name: 'images',
    status: 'note',
    detail: `${found}; streamspace up builds each when a session first needs it (a few minutes; a standalone agent builds nothing unless IMAGE_BUILD_ON_DEMAND=true)`,
    fix: build,
  };
}
