import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Requires, principalOf } from '@patchstate/auth';
import { ValidationError } from '@patchstate/domain';
import { CatalogImportSummary } from '@patchstate/command-handling';
import { importCatalog } from '../command-envelope/catalog-import';
import { ApiCatalogImportResponses, CATALOG_IMPORT_EXAMPLE } from '../http/api-docs';

/** The path whose body may be larger than HTTP_BODY_LIMIT (bootstrap.ts): a release file, not one command. */
export const CATALOG_IMPORTS_PATH = '/v1/catalog/imports';

@ApiTags('patch catalog')
@Requires('catalog-commands')
@Controller('v1/catalog/imports')
export class CatalogImportsController {
  constructor(private readonly bus: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'ImportCatalog → one PatchPublished per new release, PatchAmended per changed one (docs/catalog.md)',
    description:
      'A release file (JSON in the shape of windows-releases.json, or CSV with the same columns) as `{ "format", "content" }`, ' +
      'or the JSON array of releases itself. The file is checked whole first: one bad row refuses it (400, every bad row ' +
      'in details.rows with its line and field errors) and nothing is imported. Re-importing the same file appends nothing. ' +
      'Answers 201 when the import appended events (X-Position: the last one), 200 when nothing changed or with ?dryRun=true.',
  })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'], description: 'check and sum up without appending' })
  @ApiBody({ schema: { oneOf: [{ type: 'object', required: ['format', 'content'] }, { type: 'array' }], example: CATALOG_IMPORT_EXAMPLE } })
  @ApiCatalogImportResponses()
  async import(
    @Body() body: unknown,
    @Query('dryRun') dryRun: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CatalogImportSummary> {
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') {
      throw new ValidationError([{ field: 'dryRun', message: 'must be true or false' }]);
    }
    const { summary, correlationId } = await importCatalog(
      this.bus,
      { principal: principalOf(req), correlationId: req.header('x-correlation-id'), correlationField: 'X-Correlation-Id' },
      body,
      { dryRun: dryRun === 'true' },
    );
    res.setHeader('X-Correlation-Id', correlationId);
    if (summary.position !== null) {
      res.status(201);
      res.setHeader('X-Position', summary.position);
    }
    return summary;
  }
}
