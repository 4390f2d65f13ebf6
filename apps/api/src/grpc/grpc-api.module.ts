import { Module } from '@nestjs/common';
import { CommandHandlingModule } from '@patchstate/command-handling';
import { FleetIngestGrpcController } from '../ingest/wufb-ingest.grpc';
import { DeviceCommandsGrpcController, PatchCatalogGrpcController } from './command-services.grpc';
import { GrpcCommandGateway } from './grpc-command-gateway';
import { GrpcLifecycle } from './grpc-lifecycle';
import { AuditGrpcController, DeviceQueriesGrpcController } from './query-services.grpc';

/**
 * The gRPC services' handlers. The transport itself (PatchstateGrpcServer) is connected in bootstrap.ts;
 * Nest routes its calls to these controllers' @GrpcMethod handlers.
 */
@Module({
  imports: [CommandHandlingModule],
  controllers: [DeviceCommandsGrpcController, PatchCatalogGrpcController, DeviceQueriesGrpcController, AuditGrpcController, FleetIngestGrpcController],
  providers: [GrpcCommandGateway, GrpcLifecycle],
})
export class GrpcApiModule {}
