/**
 * The benchmark data set of shared/benchmark-contract.md, generated as CSV
 * text ready for COPY, in chunks of a few hundred chamas so that loading can
 * start while the rest is still being generated. Deterministic: the same
 * scale and seed give the same rows, timestamps included (they count back
 * from a fixed day).
 */

export interface TableData {
  readonly table: string;
  readonly columns: readonly string[];
  readonly csv: Buffer;
  readonly rows: number;
}

export interface DatasetOptions {
  readonly scale: number;
  readonly seed: number;
  /** The Argon2id hash of the shared password, computed once by the caller. */
  readonly passwordHash: string;
}

/** Timestamps spread over the three years before this day. */
export const DATASET_ANCHOR = Date.UTC(2026, 10, 1);
const THREE_YEARS_MS = 3 * 365 * 24 * 60 * 60 * 1000;

const FIRST_NAMES = [
  'Wanjiku',
  'Achieng',
  'Amina',
  'Njeri',
  'Akinyi',
  'Wambui',
  'Chebet',
  'Nafula',
  'Mumbua',
  'Zawadi',
  'Kamau',
  'Otieno',
  'Mwangi',
  'Kiprono',
  'Omondi',
  'Baraka',
  'Mutua',
  'Juma',
  'Kibet',
  'Wafula',
];
const LAST_NAMES = [
  'Kamau',
  'Odhiambo',
  'Wanjiru',
  'Kiptoo',
  'Mutiso',
  'Njoroge',
  'Ochieng',
  'Wekesa',
  'Kariuki',
  'Chege',
  'Atieno',
  'Cherono',
  'Musyoka',
  'Onyango',
  'Githinji',
  'Barasa',
  'Koech',
  'Nyambura',
  'Mohamed',
  'Wairimu',
];
const NAME_WORDS = [
  'Umoja',
  'Tujenge',
  'Harambee',
  'Pamoja',
  'Jitegemee',
  'Amani',
  'Baraka',
  'Neema',
  'Upendo',
  'Imani',
  'Tumaini',
  'Maendeleo',
];
const TOWNS = [
  'Nairobi',
  'Mombasa',
  'Kisumu',
  'Nakuru',
  'Eldoret',
  'Thika',
  'Machakos',
  'Nyeri',
  'Kakamega',
  'Meru',
];
const VOCABULARY = [
  'savings',
  'investment',
  'welfare',
  'women',
  'youth',
  'farmers',
  'table banking',
  'merry-go-round',
  'group',
  'members',
  'monthly',
  'contributions',
  'loans',
  'school',
  'fees',
  'land',
  'business',
  'support',
  'community',
  'development',
  'dairy',
  'poultry',
  'traders',
  'weekly',
  'meeting',
  ...TOWNS,
];
const TAGS = [
  'savings',
  'investment',
  'women',
  'youth',
  'farmers',
  'welfare',
  'merry-go-round',
  'table-banking',
  'boda-boda',
  'land',
  'education',
  'health',
];
const METHODS = ['mpesa', 'cash', 'bank'];
const ROLES_BY_POSITION = ['chair', 'treasurer', 'secretary'];

/** mulberry32: small, fast and good enough for test data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A unique 10-character reference for contribution `index`, looking like an
 * M-Pesa code. Multiplying by an odd number and folding the high bits in are
 * both one-to-one on 32-bit integers, so distinct indexes never collide.
 */
function reference(index: number): string {
  let mixed = Math.imul(index, 0x9e3779b1) >>> 0;
  mixed = (mixed ^ (mixed >>> 16)) >>> 0;
  const prefix = `Q${LETTERS[index % 26] ?? 'A'}${LETTERS[Math.floor(index / 26) % 26] ?? 'A'}`;
  return `${prefix}${mixed.toString(36).toUpperCase().padStart(7, '0')}`;
}

const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;

/**
 * Writes CSV lines straight into a growing buffer. Keeping millions of line
 * strings alive until the end made the garbage collector most of the cost;
 * written at once, each line dies young.
 */
class CsvWriter {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private length = 0;
  rows = 0;

  push(line: string): void {
    if (this.length + line.length * 3 > this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2 + line.length * 3);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(line, this.length);
    this.rows++;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Chamas per chunk: big enough that COPY's per-statement cost is noise. */
const CHAMAS_PER_CHUNK = 250;

const COLUMNS = {
  users: [
    'id',
    'email',
    'phone',
    'first_name',
    'last_name',
    'password_hash',
    'preferences',
    'is_active',
    'created_at',
  ],
  chamas: [
    'id',
    'name',
    'description',
    'tags',
    'chair_id',
    'currency',
    'is_active',
    'meeting_location',
    'created_at',
    'member_count',
  ],
  memberships: ['id', 'chama_id', 'user_id', 'role', 'status', 'joined_at'],
  accounts: ['id', 'user_id', 'chama_id', 'kind', 'currency', 'balance', 'created_at'],
  ledger_transactions: ['id', 'kind', 'created_by', 'created_at'],
  ledger_entries: ['id', 'transaction_id', 'account_id', 'amount', 'created_at'],
  contributions: [
    'id',
    'chama_id',
    'member_id',
    'amount',
    'method',
    'reference',
    'ledger_transaction_id',
    'recorded_by',
    'created_at',
  ],
} as const satisfies Record<string, readonly string[]>;

type SeededTable = keyof typeof COLUMNS;

/** Tables in the order they are first loaded. */
const SEEDED_TABLES = Object.keys(COLUMNS) as SeededTable[];

/** One writer per table for the chunk being generated. */
function chunkWriters(): Record<SeededTable, CsvWriter> {
  return Object.fromEntries(SEEDED_TABLES.map((table) => [table, new CsvWriter()])) as Record<
    SeededTable,
    CsvWriter
  >;
}

function* finish(writers: Record<SeededTable, CsvWriter>): Generator<TableData> {
  for (const table of SEEDED_TABLES) {
    const writer = writers[table];
    if (writer.rows > 0) {
      yield { table, columns: COLUMNS[table], rows: writer.rows, csv: writer.bytes() };
    }
  }
}

export function* generateDataset(options: DatasetOptions): Generator<TableData> {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const pastTime = () => new Date(DATASET_ANCHOR - Math.floor(random() * THREE_YEARS_MS));

  const userCount = Math.round(20_000 * options.scale);
  const chamaCount = Math.round(2_000 * options.scale);
  const passwordHash = quote(options.passwordHash);

  // Account ids: user u has wallet 2u-1 and funding 2u; chama c follows all users.
  const userWallet = (user: number) => 2 * user - 1;
  const chamaWallet = (chama: number) => 2 * userCount + 2 * chama - 1;

  let out = chunkWriters();
  let transactionId = 0;
  let entryId = 0;

  for (let user = 1; user <= userCount; user++) {
    const createdAt = pastTime().toISOString();
    const phone = `+2547${String(10_000_000 + ((user * 7919) % 90_000_000))}`;
    const preferences = quote(
      JSON.stringify({
        theme: random() < 0.5 ? 'light' : 'dark',
        language: random() < 0.6 ? 'en' : 'sw',
        notifications: { email: random() < 0.7, sms: random() < 0.5 },
      }),
    );
    const active = random() < 0.97 ? 't' : 'f';
    out.users.push(
      `${user},user${user}@example.com,${phone},${pick(FIRST_NAMES)},${pick(LAST_NAMES)},${passwordHash},${preferences},${active},${createdAt}\n`,
    );
    // The opening deposit: 10,000.00 to 100,000.00, recorded in the ledger.
    const opening = between(1_000_000, 10_000_000);
    transactionId++;
    out.ledger_transactions.push(`${transactionId},deposit,,${createdAt}\n`);
    out.ledger_entries.push(
      `${++entryId},${transactionId},${userWallet(user) + 1},${-opening},${createdAt}\n`,
    );
    out.ledger_entries.push(
      `${++entryId},${transactionId},${userWallet(user)},${opening},${createdAt}\n`,
    );
    out.accounts.push(`${userWallet(user)},${user},,wallet,KES,${opening},${createdAt}\n`);
    out.accounts.push(`${userWallet(user) + 1},${user},,funding,KES,${-opening},${createdAt}\n`);
  }
  yield* finish(out);

  out = chunkWriters();
  let membershipId = 0;
  let contributionId = 0;
  for (let chama = 1; chama <= chamaCount; chama++) {
    const createdAt = pastTime();
    const size = between(5, 55);
    const members = new Set<number>();
    while (members.size < size) members.add(between(1, userCount));
    const memberList = [...members];
    const chair = memberList[0] ?? 1;

    const words = between(15, 60);
    const description: string[] = [];
    for (let i = 0; i < words; i++) description.push(pick(VOCABULARY));
    const tagCount = between(1, 4);
    const tags = new Set<string>();
    while (tags.size < tagCount) tags.add(pick(TAGS));
    const lat = (-4.7 + random() * 9.3).toFixed(5);
    const lng = (33.9 + random() * 8).toFixed(5);
    out.chamas.push(
      `${chama},${quote(`${pick(NAME_WORDS)} ${pick(TOWNS)}`)},${quote(description.join(' '))},${quote(`{${[...tags].join(',')}}`)},${chair},KES,${random() < 0.9 ? 't' : 'f'},${quote(`(${lng},${lat})`)},${createdAt.toISOString()},${memberList.length}\n`,
    );

    let chamaTotal = 0;
    for (const [position, member] of memberList.entries()) {
      const joinedAt = new Date(
        createdAt.getTime() + Math.floor(random() * 86_400_000),
      ).toISOString();
      out.memberships.push(
        `${++membershipId},${chama},${member},${ROLES_BY_POSITION[position] ?? 'member'},active,${joinedAt}\n`,
      );
      const count = between(0, 33);
      for (let i = 0; i < count; i++) {
        const amount = between(10_000, 1_000_000);
        chamaTotal += amount;
        const at = pastTime().toISOString();
        transactionId++;
        out.ledger_transactions.push(`${transactionId},contribution,${member},${at}\n`);
        out.ledger_entries.push(
          `${++entryId},${transactionId},${chamaWallet(chama) + 1},${-amount},${at}\n`,
        );
        out.ledger_entries.push(
          `${++entryId},${transactionId},${chamaWallet(chama)},${amount},${at}\n`,
        );
        contributionId++;
        out.contributions.push(
          `${contributionId},${chama},${member},${amount},${pick(METHODS)},${reference(contributionId)},${transactionId},${member},${at}\n`,
        );
      }
    }
    const opened = createdAt.toISOString();
    out.accounts.push(`${chamaWallet(chama)},,${chama},wallet,KES,${chamaTotal},${opened}\n`);
    out.accounts.push(`${chamaWallet(chama) + 1},,${chama},funding,KES,${-chamaTotal},${opened}\n`);
    if (chama % CHAMAS_PER_CHUNK === 0 || chama === chamaCount) {
      yield* finish(out);
      out = chunkWriters();
    }
  }
}
