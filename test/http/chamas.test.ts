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
  registerUser,
  type TestUser,
} from '../support/api.js';

interface ListBody {
  items: {
    id: number;
    name: string;
    tags: string[];
    memberCount: number;
    chair: { id: number; name: string };
  }[];
  nextCursor: string | null;
}

describeEachEngine(
  'chamas',
  (database) => {
    let app: FastifyInstance;
    let chair: TestUser;
    let member: TestUser;
    let stranger: TestUser;
    const created: number[] = [];

    before(async () => {
      app = await buildTestApp(database());
      chair = await registerUser(app, { firstName: 'Njeri' });
      member = await registerUser(app);
      stranger = await registerUser(app);
      const chamas: [string, string, string[], { lat: number; lng: number }][] = [
        [
          'Umoja Women Nakuru',
          'Women saving together for school fees',
          ['women', 'savings'],
          { lat: -0.3031, lng: 36.08 },
        ],
        [
          'Tujenge Youth Kisumu',
          'Youth table banking and investment',
          ['youth', 'table-banking'],
          { lat: -0.0917, lng: 34.768 },
        ],
        [
          'Harambee Farmers Eldoret',
          'Farmers welfare group with savings',
          ['farmers', 'welfare'],
          { lat: 0.5143, lng: 35.2698 },
        ],
        [
          'Savings Circle Mombasa',
          'A merry-go-round for traders',
          ['merry-go-round'],
          { lat: -4.0435, lng: 39.6682 },
        ],
        [
          'Nyeri Investment Club',
          'Land investment for women and youth',
          ['investment', 'women', 'land'],
          { lat: -0.4201, lng: 36.9476 },
        ],
      ];
      for (const [name, description, tags, meetingLocation] of chamas) {
        created.push(
          (await createChamaVia(app, chair, { name, description, tags, meetingLocation })).id,
        );
      }
      await addMemberVia(app, chair, created[0]!, member);
    });
    after(async () => {
      await app.close();
    });

    it('makes the creator chair and only member, with an empty wallet', async () => {
      const detail = await as(app, chair, { method: 'GET', url: `/api/chamas/${created[1]}` });
      assert.equal(detail.statusCode, 200);
      const body = detail.json<{
        chairId: number;
        myRole: string;
        balance: string;
        members: { userId: number; role: string }[];
      }>();
      assert.equal(body.chairId, chair.id);
      assert.equal(body.myRole, 'chair');
      assert.equal(body.balance, '0.00');
      assert.deepEqual(
        body.members.map((m) => [m.userId, m.role]),
        [[chair.id, 'chair']],
      );
    });

    it('lists active chamas newest first with chair and member count (contract B1)', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/chamas?limit=50' });
      assert.equal(response.statusCode, 200);
      const body = response.json<ListBody>();
      assert.deepEqual(
        body.items.map((item) => item.id),
        [...created].reverse(),
      );
      const umoja = body.items.find((item) => item.id === created[0]);
      assert.deepEqual(umoja, {
        id: created[0],
        name: 'Umoja Women Nakuru',
        tags: ['women', 'savings'],
        memberCount: 2,
        chair: { id: chair.id, name: 'Njeri Odhiambo' },
      });
      assert.equal(body.nextCursor, null);
    });

    it('pages with an opaque cursor without gaps or repeats', async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/chamas?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: ListBody = (await app.inject({ method: 'GET', url })).json<ListBody>();
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...created].reverse());
    });

    it('filters by tag', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/chamas?tag=women' });
      assert.deepEqual(
        response.json<ListBody>().items.map((item) => item.id),
        [created[4], created[0]],
      );
    });

    it('refuses bad list input with 400', async () => {
      for (const url of [
        '/api/chamas?cursor=garbage!!',
        '/api/chamas?cursor=eyJ4IjoxfQ',
        '/api/chamas?limit=0',
        '/api/chamas?limit=101',
        '/api/chamas?limit=ten',
        '/api/chamas?tag=' + encodeURIComponent("women'; DROP TABLE chamas; --"),
        '/api/chamas?unknown=1',
      ]) {
        const response = await app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 400, url);
        assert.ok(errorCode(response), url);
      }
    });

    it('searches name and description with web-search syntax, name matches ranked first (contract B2)', async () => {
      const search = async (q: string) =>
        (
          await app.inject({ method: 'GET', url: `/api/chamas/search?q=${encodeURIComponent(q)}` })
        ).json<{ items: { id: number; rank: number }[] }>().items;
      const savings = await search('savings');
      // "Savings Circle Mombasa" has it in its name (weight A), the others only in descriptions.
      assert.equal(savings[0]?.id, created[3]);
      assert.deepEqual(
        new Set(savings.map((item) => item.id)),
        new Set([created[3], created[0], created[2]]),
      );
      assert.ok(
        savings.every((item, index) => index === 0 || item.rank <= savings[index - 1]!.rank),
      );
      assert.deepEqual(
        (await search('"table banking"')).map((item) => item.id),
        [created[1]],
      );
      assert.deepEqual(
        (await search('investment -youth')).map((item) => item.id),
        [],
        'both investment chamas mention youth',
      );
      assert.deepEqual(
        (await search('women -land')).map((item) => item.id),
        [created[0]],
      );
      const empty = await app.inject({ method: 'GET', url: '/api/chamas/search?q=' });
      assert.equal(empty.statusCode, 400);
    });

    it('finds the nearest chamas first', async () => {
      // From Naivasha, Nakuru is nearest, then Nyeri.
      const response = await app.inject({
        method: 'GET',
        url: '/api/chamas/nearby?lat=-0.7167&lng=36.4333&limit=2',
      });
      assert.equal(response.statusCode, 200);
      const items = response.json<{ items: { id: number; distanceKm: number }[] }>().items;
      assert.deepEqual(
        items.map((item) => item.id),
        [created[0], created[4]],
      );
      assert.ok(
        items[0]!.distanceKm > 50 && items[0]!.distanceKm < 70,
        String(items[0]!.distanceKm),
      );
      for (const url of [
        '/api/chamas/nearby?lat=95&lng=36',
        '/api/chamas/nearby?lat=0',
        '/api/chamas/nearby?lat=x&lng=1',
      ]) {
        assert.equal((await app.inject({ method: 'GET', url })).statusCode, 400, url);
      }
    });

    it('shows a chama with its members to members only', async () => {
      const forMember = await as(app, member, { method: 'GET', url: `/api/chamas/${created[0]}` });
      assert.equal(forMember.statusCode, 200);
      assert.equal(forMember.json<{ members: unknown[] }>().members.length, 2);
      const forStranger = await as(app, stranger, {
        method: 'GET',
        url: `/api/chamas/${created[0]}`,
      });
      assert.equal(forStranger.statusCode, 403);
      assert.equal(errorCode(forStranger), 'not_a_member');
      const missing = await as(app, member, { method: 'GET', url: '/api/chamas/999999' });
      assert.equal(missing.statusCode, 404);
      const anonymous = await app.inject({ method: 'GET', url: `/api/chamas/${created[0]}` });
      assert.equal(anonymous.statusCode, 401);
    });

    it('lists my chamas', async () => {
      const mine = await as(app, member, { method: 'GET', url: '/api/me/chamas' });
      assert.deepEqual(
        mine
          .json<{ items: { id: number; role: string }[] }>()
          .items.map((item) => [item.id, item.role]),
        [[created[0], 'member']],
      );
    });

    it('lets only the chair update or deactivate a chama', async () => {
      const byMember = await as(app, member, {
        method: 'PATCH',
        url: `/api/chamas/${created[0]}`,
        payload: { name: 'Hijacked' },
      });
      assert.equal(byMember.statusCode, 403);
      assert.equal(errorCode(byMember), 'role_not_allowed');
      const byStranger = await as(app, stranger, {
        method: 'POST',
        url: `/api/chamas/${created[0]}/deactivate`,
      });
      assert.equal(byStranger.statusCode, 403);

      const renamed = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${created[0]}`,
        payload: { name: 'Umoja Women Naivasha', tags: ['Women', 'savings', 'women'] },
      });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(renamed.json<{ name: string }>().name, 'Umoja Women Naivasha');
      assert.deepEqual(renamed.json<{ tags: string[] }>().tags, ['women', 'savings']);
      const emptyPatch = await as(app, chair, {
        method: 'PATCH',
        url: `/api/chamas/${created[0]}`,
        payload: {},
      });
      assert.equal(emptyPatch.statusCode, 400);

      const deactivated = await as(app, chair, {
        method: 'POST',
        url: `/api/chamas/${created[3]}/deactivate`,
      });
      assert.equal(deactivated.statusCode, 200);
      assert.equal(deactivated.json<{ isActive: boolean }>().isActive, false);
      const list = (await app.inject({ method: 'GET', url: '/api/chamas' })).json<ListBody>();
      assert.ok(!list.items.some((item) => item.id === created[3]));
    });
  },
  { engines: API_ENGINES },
);
