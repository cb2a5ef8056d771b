import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { Progress } from '@streamspace/protocol';

/** What a session pod's status says, read without a cluster (pure; unit-tested on recorded shapes). */
export type PodAssessment =
  | { kind: 'pending'; progress: Progress }
  | { kind: 'running' }
  | { kind: 'failed'; code: 'image_not_found' | 'start_failed'; reason: string; message: string };

/** Waiting reasons no wait will cure: the kubelet only retries them with growing back-off. */
const IMAGE_FAILURES = new Set(['ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);
const START_FAILURES = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
]);

/** The scheduler's words for a pod whose claims are not bound yet (it retries by itself). */
const waitsForVolume = (message = '') =>
  /unbound immediate PersistentVolumeClaims|waiting for first consumer|persistentvolumeclaim ".*" (not found|is being deleted)/i.test(
    message,
  ) && !/Insufficient|didn't match|untolerated|node\(s\) had/.test(message);

const exitText = (status: V1ContainerStatus) => {
  const t = status.state?.terminated ?? status.lastState?.terminated;
  if (!t) return undefined;
  const why = t.reason === 'OOMKilled' ? ' (out of memory: OOMKilled)' : t.reason ? ` (${t.reason})` : '';
  return `container exited with code ${t.exitCode}${why}${t.message ? `: ${t.message.trim()}` : ''}`;
};

/**
 * The pod's own status → pending with a progress step, running, or failed with the reason.
 * Failures are recognised from the first status that shows them (an image the node cannot pull
 * is ImagePullBackOff seconds after the first attempt), never by waiting out a timeout. A
 * session's container that has restarted even once counts as failed: its desktop is gone.
 */
export function assessPod(pod: V1Pod): PodAssessment {
  const status = pod.status ?? {};
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    const container = status.containerStatuses?.[0];
    return {
      kind: 'failed',
      code: 'start_failed',
      reason: status.reason ?? `Pod${status.phase}`,
      message: status.message ?? (container && exitText(container)) ?? `pod ${status.phase.toLowerCase()}`,
    };
  }
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  // A claim still being provisioned makes the scheduler say Unschedulable too, and retry once
  // the volume is bound: only a want of capacity (or a rule no node meets) is final.
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && waitsForVolume(scheduled.message)) {
    return {
      kind: 'pending',
      progress: { step: 'scheduling', message: 'waiting for the home volume to be provisioned' },
    };
  }
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      kind: 'failed',
      code: 'start_failed',
      reason: 'Unschedulable',
      message: scheduled.message ?? 'no node can run the session pod',
    };
  }
  const containers = status.containerStatuses ?? [];
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && IMAGE_FAILURES.has(waiting.reason)) {
      return { kind: 'failed', code: 'image_not_found', reason: waiting.reason, message: waiting.message ?? c.image };
    }
    if (waiting?.reason && START_FAILURES.has(waiting.reason)) {
      const exit = exitText(c);
      return {
        kind: 'failed',
        code: 'start_failed',
        reason: waiting.reason,
        message: [exit, waiting.message].filter(Boolean).join('; ') || waiting.reason,
      };
    }
    const terminated = c.state?.terminated ?? (c.restartCount > 0 ? c.lastState?.terminated : undefined);
    if (terminated) {
      return {
        kind: 'failed',
        code: 'start_failed',
        reason: terminated.reason === 'OOMKilled' ? 'OOMKilled' : 'ContainerExited',
        message: exitText(c) ?? 'container exited',
      };
    }
  }
  if (containers.length > 0 && containers.every((c) => c.state?.running)) return { kind: 'running' };
  if (scheduled?.status !== 'True') {
    return { kind: 'pending', progress: { step: 'scheduling', message: 'waiting for a node to run the session' } };
  }
  const waiting = containers.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting?.reason === 'ErrImagePull') {
    return {
      kind: 'pending',
      progress: { step: 'image', message: clip(`pulling the image failed, retrying: ${waiting.message ?? ''}`) },
    };
  }
  return {
    kind: 'pending',
    progress: {
      step: 'image',
      message: `scheduled on ${pod.spec?.nodeName ?? 'a node'}; getting image ${pod.spec?.containers[0]?.image ?? ''}`,
    },
  };
}

const time = (e: CoreV1Event) =>
  new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? 0).getTime();

/** Events oldest first (the API returns them in no promised order). */
export function sortEvents(events: CoreV1Event[]): CoreV1Event[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => time(a.e) - time(b.e) || a.i - b.i)
    .map(({ e }) => e);
}

/** Once scheduled the pod is getting its image: the Scheduled event adds nothing to the status. */
const STEP_OF_EVENT: Record<string, string> = {
  Pulling: 'image',
  Pulled: 'image',
  Created: 'container',
  Started: 'container',
};

/**
 * Progress of a pod that is not running yet: the newest kubelet/scheduler event says more than
 * the status does (a pod pulling an image is only "ContainerCreating" in its status).
 */
export function podProgress(pod: V1Pod, events: CoreV1Event[]): Progress | undefined {
  const assessed = assessPod(pod);
  if (assessed.kind !== 'pending') return undefined;
  const latest = sortEvents(events)
    .filter((e) => e.type !== 'Warning' && e.reason && STEP_OF_EVENT[e.reason])
    .at(-1);
  if (!latest || assessed.progress.step === 'scheduling' || assessed.progress.message.startsWith('pulling the image'))
    return assessed.progress;
  return { step: STEP_OF_EVENT[latest.reason!]!, message: clip(latest.message ?? latest.reason!) };
}

/** The newest Warning event's text ("Failed: Failed to pull image …", "FailedScheduling: 0/3 nodes …"). */
export function latestWarning(events: CoreV1Event[]): string | undefined {
  const warning = sortEvents(events)
    .filter((e) => e.type === 'Warning')
    .at(-1);
  return warning ? `${warning.reason ?? 'Warning'}: ${(warning.message ?? '').trim()}` : undefined;
}

/** One line for the session's failed state: the reason, the status text and the event text. */
export function failureText(failure: Extract<PodAssessment, { kind: 'failed' }>, events: CoreV1Event[]): string {
  const event = latestWarning(events);
  const base = `${failure.reason}: ${failure.message}`;
  return event && !base.includes(event.slice(event.indexOf(': ') + 2)) ? `${base} (event ${event})` : base;
}

export function clip(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
