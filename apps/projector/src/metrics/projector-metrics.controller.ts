import { Controller, Get, Header } from '@nestjs/common';
import { ProjectorService } from '../projector.service';

/** Prometheus text exposition of the projector's progress: throughput, lag per partition, parked events. */
@Controller()
export class ProjectorMetricsController {
  constructor(private readonly projector: ProjectorService) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): string {
    const m = this.projector.projector.metrics;
    const lines = [
      '# HELP patchstate_projector_events_applied_total Events applied to the read models.',
      '# TYPE patchstate_projector_events_applied_total counter',
      `patchstate_projector_events_applied_total ${m.eventsApplied}`,
      '# HELP patchstate_projector_events_duplicate_total Redelivered events skipped by the stream version guard.',
      '# TYPE patchstate_projector_events_duplicate_total counter',
      `patchstate_projector_events_duplicate_total ${m.eventsSkippedAsDuplicate}`,
      '# HELP patchstate_projector_events_parked_total Events parked in the dead-letter table.',
      '# TYPE patchstate_projector_events_parked_total counter',
      `patchstate_projector_events_parked_total ${m.eventsParked}`,
      '# HELP patchstate_projector_batches_total Batches committed.',
      '# TYPE patchstate_projector_batches_total counter',
      `patchstate_projector_batches_total ${m.batches}`,
      '# HELP patchstate_projector_group_joins_total Times this process joined its consumer group; growing means rebalances.',
      '# TYPE patchstate_projector_group_joins_total counter',
      `patchstate_projector_group_joins_total ${m.groupJoins}`,
      '# HELP patchstate_projector_throughput_events_per_second Events projected per second over the last minute.',
      '# TYPE patchstate_projector_throughput_events_per_second gauge',
      `patchstate_projector_throughput_events_per_second ${m.throughput.perSecond().toFixed(3)}`,
      '# HELP patchstate_projector_lag_events Messages on the broker not yet projected, per partition.',
      '# TYPE patchstate_projector_lag_events gauge',
      ...[...m.lag.entries()].sort(([a], [b]) => a - b).map(([partition, lag]) => `patchstate_projector_lag_events{partition="${partition}"} ${lag}`),
    ];
    return `${lines.join('\n')}\n`;
  }

  @Get('health')
  health() {
    return { status: 'ok' };
  }
}
