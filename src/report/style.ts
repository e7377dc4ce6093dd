import pc from 'picocolors';
import type { HostStatus, TaskStatus } from './events.js';

/** Text styles; every one is the identity when color is off. */
export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** Styles that color when `enabled`, and change nothing otherwise. */
export function createPaint(enabled: boolean): Paint {
  return pc.createColors(enabled);
}

/** Whether the environment allows color: NO_COLOR set to anything but "" turns it off (https://no-color.org). */
export function colorAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR;
}

/** The color a status word gets, the way Ansible colors them. */
export function statusColor(p: Paint, status: TaskStatus | HostStatus | string): (s: string) => string {
  switch (status) {
    case 'ok':
      return p.green;
    case 'changed':
    case 'would change':
      return p.yellow;
    case 'skipped':
      return p.cyan;
    case 'failed':
    case 'unreachable':
    case 'interrupted':
      return p.red;
    default:
      return p.dim;
  }
}
