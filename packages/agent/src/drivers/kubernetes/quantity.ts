/**
 * Kubernetes resource quantities → numbers, for list(): the driver writes `500m` and `512Mi`, but
 * a Deployment edited by hand may say `0.5`, `1`, `1Gi` or `1G`.
 */
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function parseQuantity(text: string): number {
  const match = /^([0-9.]+(?:e[0-9]+)?)([a-zA-Z]*)$/.exec(text.trim());
  const factor = match ? SUFFIX[match[2]!] : undefined;
  if (!match || factor === undefined) return 0;
  return Number(match[1]) * factor;
}

export const parseCpu = (text: string) => Math.round(parseQuantity(text) * 1000) / 1000;
/** Memory in GiB, as the Docker driver reports it (bytes / 1024³). */
export const parseMemoryGb = (text: string) => parseQuantity(text) / 1024 ** 3;
