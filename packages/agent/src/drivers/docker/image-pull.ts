import type Docker from 'dockerode';
import { DriverError, type ProgressReporter, type SessionSpec } from '../session-driver.js';
import type { ImageBuilds } from './image-build.js';

/**
 * Makes sure the template's image is on the host: built when it is a bundled catalog image and
 * IMAGE_BUILD_ON_DEMAND gave the driver `builds`, else pulled with byte progress. A pull that fails
 * (no registry, no such image) names the image and the command that builds it.
 */
export async function pullImage(
  docker: Docker,
  template: SessionSpec['template'],
  progress: ProgressReporter,
  builds?: ImageBuilds,
): Promise<void> {
  progress({ step: 'image', message: `checking image ${template.image}` });
  try {
    await docker.getImage(template.image).inspect();
    progress({ step: 'image', message: `image ${template.image} present` });
    return;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) {
      throw new DriverError(
        'platform_error',
        `inspecting image ${template.image} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  // A catalog image is built, not pulled: a registry's image of the same name is someone else's.
  if (builds && (await builds.build(template.image, progress))) return;
  progress({ step: 'image', message: `pulling image ${template.image}` });
  try {
    const stream = await docker.pull(template.image);
    const layers = new Map<string, { current: number; total: number }>();
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error) => (error ? reject(error) : resolve()),
        (event: { id?: string; error?: string; progressDetail?: { current?: number; total?: number } }) => {
          if (event.error) reject(new Error(event.error));
          if (event.id && event.progressDetail?.total) {
            layers.set(event.id, { current: event.progressDetail.current ?? 0, total: event.progressDetail.total });
            let current = 0;
            let total = 0;
            for (const layer of layers.values()) {
              current += layer.current;
              total += layer.total;
            }
            progress({ step: 'image', message: `pulling image ${template.image}`, current, total });
          }
        },
      );
    });
  } catch (error) {
    throw new DriverError(
      'image_not_found',
      `image ${template.image} is not on this host and could not be pulled (${(error as Error).message}); ` +
        `build it with \`streamspace image build ${template.name}\``,
      { cause: error },
    );
  }
}
