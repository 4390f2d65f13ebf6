import { Probe } from '@patchstate/auth';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { DATA_SOURCE, Outbox, PostgresEventStore } from '@patchstate/event-store';

/**
 * Prometheus gauges read from Postgres, so they hold whichever process wrote the rows: how far the log has
 * grown, how much waits in the outbox for Kafka, how far the read models trail, how many events are parked.
 */
@ApiExcludeController()
@Probe()
@Controller()
export class ApiMetricsController {
  constructor(@Inject(DATA_SOURCE) private readonly db: DataSource) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    const readModels: Promise<{ projected_position: string; parked: string }[]> = this.db.query(`
      SELECT (SELECT coalesce(max(position), 0) FROM projection_stream_versions) AS projected_position,
             (SELECT count(*) FROM dead_letters WHERE status = 'parked') AS parked`);
    const [lastPosition, outboxPending, [projected]] = await Promise.all([
      new PostgresEventStore(this.db).lastPosition(),
      new Outbox(this.db).pendingCount(),
      readModels,
    ]);
    const row = { ...projected, last_position: lastPosition, outbox_pending: outboxPending };
    const lag = Math.max(0, Number(row.last_position) - Number(row.projected_position));
    return `${[
      '# HELP patchstate_event_store_position The global position of the newest event.',
      '# TYPE patchstate_event_store_position gauge',
      `patchstate_event_store_position ${row.last_position}`,
      '# HELP patchstate_outbox_pending_events Events accepted but not yet acknowledged by Kafka.',
      '# TYPE patchstate_outbox_pending_events gauge',
      `patchstate_outbox_pending_events ${row.outbox_pending}`,
      '# HELP patchstate_projection_lag_positions Newest position in the log minus the newest position applied to read models.',
      '# TYPE patchstate_projection_lag_positions gauge',
      `patchstate_projection_lag_positions ${lag}`,
      '# HELP patchstate_dead_letters_parked Events parked because a projection could not apply them.',
      '# TYPE patchstate_dead_letters_parked gauge',
      `patchstate_dead_letters_parked ${row.parked}`,
    ].join('\n')}\n`;
  }

  @Get('health')
  async health() {
    await this.db.query('SELECT 1');
    return { status: 'ok' };
  }
}
