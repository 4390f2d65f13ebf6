import { DomainError } from '@patchstate/domain';
import { AcceptedOutcome, RejectedOutcome, UnchangedOutcome } from '@patchstate/command-handling';
import { httpAnswer } from '../http/http-outcome';
import { grpcReply } from '../grpc/grpc-outcome';
import { toStruct } from '../grpc/struct-codec';

const accepted: AcceptedOutcome = {
  kind: 'accepted',
  streamId: 'device-ws-1',
  version: 2,
  position: '41',
  events: [{ eventId: 'e-1', type: 'HotpatchApplied', version: 2, position: '41', data: { patchId: 'KB5053636', appliedAt: '2025-03-11T18:00:00Z' } }],
};
const rejected: RejectedOutcome = {
  kind: 'rejected',
  streamId: 'device-ws-1',
  version: 3,
  position: '42',
  eventId: 'e-2',
  patchId: 'KB5053636',
  reasons: ['VBS_NOT_RUNNING', 'BASELINE_MISMATCH'],
};
const unchanged: UnchangedOutcome = { kind: 'unchanged', streamId: 'patch-KB5053636', version: 1 };

describe('each transport maps the command outcome itself', () => {
  describe('REST', () => {
    it('accepted is 201 with the appended events, keys in the order clients have always read', () => {
      const { status, body } = httpAnswer(accepted);
      expect(status).toBe(201);
      expect(JSON.stringify(body)).toBe(
        '{"streamId":"device-ws-1","version":2,"position":"41","events":[{"eventId":"e-1","type":"HotpatchApplied","version":2,' +
          '"position":"41","data":{"patchId":"KB5053636","appliedAt":"2025-03-11T18:00:00Z"}}]}',
      );
    });

    it('rejected is 422 NOT_ELIGIBLE naming the reasons and the recorded rejection', () => {
      const { status, body } = httpAnswer(rejected);
      expect(status).toBe(422);
      expect(JSON.stringify(body)).toBe(
        '{"code":"NOT_ELIGIBLE","message":"KB5053636 is not eligible: VBS_NOT_RUNNING, BASELINE_MISMATCH","details":' +
          '{"reasons":["VBS_NOT_RUNNING","BASELINE_MISMATCH"],"patchId":"KB5053636","eventId":"e-2","streamId":"device-ws-1","version":3,"position":"42"}}',
      );
    });

    it('unchanged is 200 with the stream as it is and no events', () => {
      expect(httpAnswer(unchanged)).toEqual({ status: 200, body: { streamId: 'patch-KB5053636', version: 1, position: null, events: [] } });
    });

    it('an outcome read back from its stored JSON text is sent as the same bytes', () => {
      for (const outcome of [accepted, rejected, unchanged]) {
        const replayed = JSON.parse(JSON.stringify(outcome)) as typeof outcome;
        expect(JSON.stringify(httpAnswer(replayed))).toBe(JSON.stringify(httpAnswer(outcome)));
      }
    });
  });

  describe('gRPC', () => {
    it('accepted is a CommandReply with the events as Structs', () => {
      expect(grpcReply(accepted, true, 'corr-1')).toEqual({
        streamId: 'device-ws-1',
        version: 2,
        position: '41',
        events: [{ eventId: 'e-1', type: 'HotpatchApplied', version: 2, position: '41', data: toStruct(accepted.events[0].data) }],
        replayed: true,
        correlationId: 'corr-1',
      });
    });

    it('rejected is NOT_ELIGIBLE (FAILED_PRECONDITION) with the same message and details as REST', () => {
      const thrown = (() => {
        try {
          grpcReply(rejected, false, 'corr-2');
        } catch (error) {
          return error;
        }
        throw new Error('a rejected outcome must not be a reply');
      })();
      expect(thrown).toBeInstanceOf(DomainError);
      const rest = httpAnswer(rejected).body;
      const { code, message, details } = thrown as DomainError;
      expect({ code, message, details }).toEqual(rest);
    });

    it('unchanged is a reply without events, at position 0 (proto3: not set)', () => {
      expect(grpcReply(unchanged, false, 'corr-3')).toMatchObject({ streamId: 'patch-KB5053636', version: 1, position: '0', events: [] });
    });
  });
});
