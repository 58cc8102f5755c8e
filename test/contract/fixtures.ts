/**
 * A tiny OpenAPI 3.1 document that passes every contract check, for proving that each check fails
 * when one thing is broken. `brokenBy` returns a fresh copy with one change applied.
 */
export function tinyDocument(): Record<string, any> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tiny',
      version: '1.0.0',
      description: 'A document with one operation.',
      contact: { name: 'Support', email: 'support@example.com' },
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'People', description: 'People and their names.' }],
    components: {
      schemas: {
        Error: {
          type: 'object',
          properties: { success: { type: 'boolean', enum: [false] }, message: { type: 'string' } },
          required: ['success', 'message'],
          example: { success: false, message: 'Validation failed' },
        },
        Person: {
          type: 'object',
          properties: {
            name: { type: 'string', pattern: '^[^\\x00-\\x1F\\x7F-\\x9F]*$', example: 'Ada Lovelace' },
            age: { type: 'integer', minimum: 0, example: 36 },
          },
          required: ['name'],
          example: { name: 'Ada Lovelace', age: 36 },
        },
      },
    },
    paths: {
      '/people': {
        post: {
          operationId: 'people.create',
          summary: 'Add a person',
          description: 'Adds a person.',
          tags: ['People'],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Person' },
                examples: { ada: { value: { name: 'Ada Lovelace' } } },
              },
            },
          },
          responses: {
            201: {
              description: 'Added',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Person' } } },
            },
            422: {
              description: 'Validation failed',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          },
        },
      },
    },
  };
}

/** The tiny document with one change made to a fresh copy. */
export function brokenBy(change: (doc: Record<string, any>) => void): Record<string, any> {
  const doc = tinyDocument();
  change(doc);
  return doc;
}
