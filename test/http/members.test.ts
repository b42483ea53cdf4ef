import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { API_ENGINES, describeEachEngine } from '../support/databases.js';
import {
  addMemberVia,
  as,
  buildTestApp,
  createChamaVia,
  errorCode,
  newReference,
  registerUser,
  type TestChama,
  type TestUser,
} from '../support/api.js';

interface MemberList {
  items: { userId: number; role: string; status: string; totalContributed: string }[];
}

describeEachEngine(
  'members',
  (database) => {
    let app: FastifyInstance;
    let chair: TestUser;
    let secretary: TestUser;
    let member: TestUser;
    let stranger: TestUser;
    let chama: TestChama;

    before(async () => {
      app = await buildTestApp(database());
      chair = await registerUser(app);
      secretary = await registerUser(app);
      member = await registerUser(app, { phone: '+254722000333' });
      stranger = await registerUser(app);
      chama = await createChamaVia(app, chair);
      await addMemberVia(app, chair, chama.id, secretary, 'secretary');
    });
    after(async () => {
      await app.close();
    });

    const members = async (caller: TestUser) =>
      (
        await as(app, caller, { method: 'GET', url: `/api/chamas/${chama.id}/members` })
      ).json<MemberList>();

    it('lets the secretary add a user by phone; a plain member or a stranger may not add anyone', async () => {
      const bySecretary = await as(app, secretary, {
        method: 'POST',
        url: `/api/chamas/${chama.id}/members`,
        payload: { phone: '+254722000333' },
      });
      assert.equal(bySecretary.statusCode, 201, bySecretary.body);
      assert.equal(bySecretary.json<{ userId: number }>().userId, member.id);

      const newcomer = await registerUser(app);
      for (const caller of [member, stranger]) {
        const response = await as(app, caller, {
          method: 'POST',
          url: `/api/chamas/${chama.id}/members`,
          payload: { email: newcomer.email },
        });
        assert.equal(response.statusCode, 403);
      }
    });

    it('explains a missing user, a duplicate member and ambiguous input', async () => {
      const missing = await as(app, chair, {
        method: 'POST',
        url: `/api/chamas/${chama.id}/members`,
        payload: { email: 'nobody-here@example.com' },
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(errorCode(missing), 'user_not_found');
      const duplicate = await as(app, chair, {
        method: 'POST',
        url: `/api/chamas/${chama.id}/members`,
        payload: { email: member.email.toUpperCase() },
      });
      assert.equal(duplicate.statusCode, 409);
      assert.equal(errorCode(duplicate), 'already_a_member');
      for (const payload of [
        {},
        { email: member.email, phone: '+254722000333' },
        { email: member.email, role: 'chair' },
      ]) {
        const response = await as(app, chair, {
          method: 'POST',
          url: `/api/chamas/${chama.id}/members`,
          payload,
        });
        assert.equal(response.statusCode, 400, JSON.stringify(payload));
      }
    });

    it('lists members with their totals, to members only', async () => {
      const contribution = await as(app, chair, {
        method: 'POST',
        url: `/api/chamas/${chama.id}/contributions`,
        payload: {
          memberId: member.id,
          amount: '250.50',
          method: 'mpesa',
          reference: newReference(),
        },
      });
      assert.equal(contribution.statusCode, 201, contribution.body);
      const list = await members(secretary);
      const row = list.items.find((item) => item.userId === member.id);
      assert.equal(row?.totalContributed, '250.50');
      assert.equal(list.items.find((item) => item.userId === chair.id)?.totalContributed, '0.00');
      const forStranger = await as(app, stranger, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/members`,
      });
      assert.equal(forStranger.statusCode, 403);
    });

    it('lets only the chair change roles', async () => {
      const bySecretary = await as(app, secretary, {
        method: 'PATCH',
        url: `/api/chamas/${chama.id}/members/${member.id}`,
        payload: { role: 'treasurer' },
      });
      assert.equal(bySecretary.statusCode, 403);
      const byChair = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${chama.id}/members/${member.id}`,
        payload: { role: 'treasurer' },
      });
      assert.equal(byChair.statusCode, 204, byChair.body);
      assert.equal(
        (await members(chair)).items.find((item) => item.userId === member.id)?.role,
        'treasurer',
      );
    });

    it('suspends a member, who then loses access, and reinstates them', async () => {
      const suspend = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${chama.id}/members/${member.id}`,
        payload: { status: 'suspended' },
      });
      assert.equal(suspend.statusCode, 204);
      const denied = await as(app, member, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/statement`,
      });
      assert.equal(denied.statusCode, 403);
      const reinstate = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${chama.id}/members/${member.id}`,
        payload: { status: 'active' },
      });
      assert.equal(reinstate.statusCode, 204);
      const allowed = await as(app, member, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/statement`,
      });
      assert.equal(allowed.statusCode, 200);
    });

    it('removes a member but keeps their contributions on record', async () => {
      const removed = await as(app, chair, {
        method: 'DELETE',
        url: `/api/chamas/${chama.id}/members/${member.id}`,
      });
      assert.equal(removed.statusCode, 204);
      const list = await members(chair);
      const row = list.items.find((item) => item.userId === member.id);
      assert.equal(row?.status, 'exited');
      assert.equal(row?.totalContributed, '250.50');
      const statement = await as(app, chair, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/members/${member.id}/statement`,
      });
      assert.equal(statement.json<{ items: unknown[] }>().items.length, 1);
      const removeChair = await as(app, chair, {
        method: 'DELETE',
        url: `/api/chamas/${chama.id}/members/${chair.id}`,
      });
      assert.equal(removeChair.statusCode, 422);
      assert.equal(errorCode(removeChair), 'chair_must_hand_over');
    });

    it('hands the chair over in one step', async () => {
      const handover = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${chama.id}/members/${secretary.id}`,
        payload: { role: 'chair' },
      });
      assert.equal(handover.statusCode, 204, handover.body);
      const detail = await as(app, secretary, { method: 'GET', url: `/api/chamas/${chama.id}` });
      assert.equal(detail.json<{ chairId: number; myRole: string }>().chairId, secretary.id);
      assert.equal(detail.json<{ myRole: string }>().myRole, 'chair');
      const roles = (await members(secretary)).items.filter((item) => item.role === 'chair');
      assert.deepEqual(
        roles.map((item) => item.userId),
        [secretary.id],
      );
      const formerChair = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${chama.id}/members/${secretary.id}`,
        payload: { role: 'member' },
      });
      assert.equal(formerChair.statusCode, 403);
    });
  },
  { engines: API_ENGINES },
);
