import type { ContainerCreateOptions } from 'dockerode';
import type { SessionSpec } from '../session-driver.js';
import { VNC_PASSWORD_ENV, obfuscateVncPassword } from '../../tunnel/vnc-password.js';
import { LABELS, containerName, homeVolumeName } from './labels.js';

export interface ContainerSpecOptions {
  agentId: string;
  /** Undefined for a driver outside any pool (tests that make one by hand). */
  pool?: string | undefined;
  network: string;
  vncAccess: 'container-ip' | 'loopback-port';
}

/** UID of the `user` account the session images create; sessions never run as root. */
export const SESSION_UID = 1000;

/**
 * Template + session → Docker container definition. Pure, so it is unit-tested without an engine.
 * VNC is never published on a public interface: the agent reaches the container's address on a
 * private bridge, or (where that is not routable) a port published on 127.0.0.1 only.
 */
export function buildContainerSpec(
  spec: SessionSpec,
  options: ContainerSpecOptions,
  vncPassword: string,
): ContainerCreateOptions & { name: string } {
  const { template } = spec;
  const vncPort = `${template.vnc_port}/tcp`;
  return {
    name: containerName(spec.sessionId),
    Image: template.image,
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.sessionId]: spec.sessionId,
      [LABELS.agentId]: options.agentId,
      ...(options.pool ? { [LABELS.pool]: options.pool } : {}),
      [LABELS.template]: template.name,
      [LABELS.user]: spec.user,
    },
    Env: [
      ...Object.entries(template.env).map(([k, v]) => `${k}=${v}`),
      `STREAMSPACE_SESSION_ID=${spec.sessionId}`,
      `STREAMSPACE_USER=${spec.user}`,
      `VNC_PORT=${template.vnc_port}`,
      // Sessions share a bridge: without a password one session could drive another's desktop.
      `${VNC_PASSWORD_ENV}=${obfuscateVncPassword(vncPassword)}`,
    ],
    User: `${SESSION_UID}:${SESSION_UID}`,
    ExposedPorts: { [vncPort]: {} },
    HostConfig: {
      NanoCpus: Math.round(template.cpu_limit * 1e9),
      Memory: template.memory_limit_mb * 1024 * 1024,
      // No swap beyond the limit: a session that outgrows its memory is killed, not slowed to a crawl.
      MemorySwap: template.memory_limit_mb * 1024 * 1024,
      PidsLimit: 1024,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      // X and VNC need a writable /tmp; it is the session's own, in memory.
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=256m' },
      ShmSize: 256 * 1024 * 1024,
      NetworkMode: options.network,
      RestartPolicy: { Name: 'no' },
      ...(template.persistent_home
        ? { Mounts: [{ Type: 'volume' as const, Source: homeVolumeName(spec.sessionId), Target: '/home/user' }] }
        : {}),
      ...(options.vncAccess === 'loopback-port'
        ? { PortBindings: { [vncPort]: [{ HostIp: '127.0.0.1', HostPort: '' }] } }
        : {}),
    },
  };
}
