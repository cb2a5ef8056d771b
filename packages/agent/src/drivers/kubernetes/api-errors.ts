import { DriverError, type DriverErrorCode } from '../session-driver.js';

/** The HTTP status of a failed Kubernetes API call (client-node's ApiException), if it has one. */
export function apiStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The API server's own words: the `message` of the Status object it answered with. */
export function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  const parsed = typeof body === 'string' ? safeParse(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string' && message) return message;
  return ((error as Error).message ?? String(error)).split('\n')[0]!;
}

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
};

/** Resolves when the call succeeds or fails with one of `statuses` (404 on delete, 409 on create). */
export async function ignoreStatus(call: Promise<unknown>, ...statuses: number[]): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!statuses.includes(apiStatus(error) ?? 0)) throw error;
  }
}

/** A DriverError naming what was being done, what the API said, and for 401/403 what to fix. */
export function kubernetesError(code: DriverErrorCode, what: string, error: unknown): DriverError {
  const status = apiStatus(error);
  const hint =
    status === 403
      ? "; the agent's ServiceAccount lacks this permission: install its Role from deploy/helm/streamspace (k8sAgent.enabled=true) or deploy/manifests/"
      : status === 401
        ? '; the API server rejected the credentials (KUBECONFIG or the pod’s ServiceAccount token)'
        : status === undefined
          ? '; is the Kubernetes API reachable (KUBECONFIG, or in-cluster config)?'
          : '';
  return new DriverError(
    status === undefined && code === 'platform_error' ? 'platform_unavailable' : code,
    `${what} failed: ${status ? `${status} ` : ''}${apiMessage(error)}${hint}`,
    { cause: error },
  );
}
