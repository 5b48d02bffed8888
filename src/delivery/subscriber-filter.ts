import type { Subscriber } from '../config/config';
import type { StatusReport } from '../events/event';

/** A subscriber gets an event only if it matches every key its filter gives. */
export function wantsEvent(subscriber: Subscriber, report: Pick<StatusReport, 'source' | 'channel' | 'status'>): boolean {
  const { sources, channels, statuses } = subscriber.filter;
  return (
    (sources === undefined || sources.includes(report.source)) &&
    (channels === undefined || channels.includes(report.channel)) &&
    (statuses === undefined || statuses.includes(report.status))
  );
}
