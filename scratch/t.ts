import { openDatabase, queryRows } from '../src/db/client.js';
import { sql } from 'drizzle-orm';
const h = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
await h.migrate();
const r = await queryRows(h.db, sql`select now() as t, 1.50::numeric(12,2) n, count(*) c, ${'x'}::text p from campaigns`);
console.log(h.driver, r);
await h.close();
