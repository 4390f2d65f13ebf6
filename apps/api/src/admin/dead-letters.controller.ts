import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Requires } from '@patchstate/auth';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DomainError, FieldChecks, ValidationError, isPlainObject } from '@patchstate/domain';
import { DATA_SOURCE } from '@patchstate/event-store';
import { DEAD_LETTER_STATUSES, DeadLetterRefused, DeadLetterService, DeadLetterStatus, allProjections, parseLimit } from '@patchstate/read-models';

/**
 * Parked events of the live projector: list them, retry a stream's parked events in order, or skip one so
 * the events behind it can go on. The same service as the replay CLI's `dead-letters` command.
 */
@ApiTags('admin')
@Requires('admin')
@Controller('v1/admin/dead-letters')
export class DeadLettersController {
  private readonly service: DeadLetterService;

  constructor(@Inject(DATA_SOURCE) db: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    this.service = new DeadLetterService(db, allProjections(), config.kafka.projectorGroupId, config.kafka.topic);
  }

  @Get()
  @ApiOperation({ summary: 'Parked (or retried / skipped) events' })
  list(@Query('status') status: unknown, @Query('streamId') streamId: unknown, @Query('limit') limit: unknown) {
    const checks = new FieldChecks({ status, streamId }).optionalEnum('status', [...DEAD_LETTER_STATUSES, 'all']).optionalString('streamId');
    checks.throwIfInvalid();
    return this.service.list({
      status: (status as DeadLetterStatus | 'all' | undefined) ?? 'parked',
      ...(typeof streamId === 'string' ? { streamId } : {}),
      limit: parseLimit(limit),
    });
  }

  @Post('retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-apply parked events (by id, by stream, or all) in version order' })
  retry(@Body() body: unknown) {
    return this.refusalsAsErrors(() => this.service.retry(selection(body, false)));
  }

  @Post('skip')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give up on one parked event (by id, or the first of a stream) so later ones can be retried' })
  skip(@Body() body: unknown) {
    return this.refusalsAsErrors(() => this.service.skip(selection(body, true)));
  }

  private async refusalsAsErrors<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DeadLetterRefused) throw new DomainError('VALIDATION_FAILED', error.message, {});
      throw error;
    }
  }
}

function selection(body: unknown, required: boolean): { id?: string; streamId?: string } {
  const input = isPlainObject(body) ? body : {};
  const checks = new FieldChecks(input).onlyKnown(['id', 'streamId']).optionalString('id', /^\d{1,18}$/, 'a dead letter id').optionalString('streamId');
  if (required && input.id === undefined && input.streamId === undefined) checks.fail('id', 'or streamId is required');
  checks.throwIfInvalid();
  if (!isPlainObject(body) && body !== undefined) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  return { ...(typeof input.id === 'string' ? { id: input.id } : {}), ...(typeof input.streamId === 'string' ? { streamId: input.streamId } : {}) };
}
