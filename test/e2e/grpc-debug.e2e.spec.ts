import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { startTestStack } from '../support/test-stack';
it('debug', async () => {
  const stack = await startTestStack({ projector: false, env: { GRPC_PORT: '0', GRPC_HOST: '127.0.0.1' } });
  console.log('micro', stack.api.getMicroservices().length);
  try { console.log('port', grpcPortOf(stack.api)); } catch (e) { console.log('ERR', e); }
  await stack.close();
});
