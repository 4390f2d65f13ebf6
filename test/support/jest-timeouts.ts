// Integration and end-to-end tests talk to a real broker and database: allow them time to start.
jest.setTimeout(60_000);
