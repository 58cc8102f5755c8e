import { describe, expect, it } from 'vitest';
import { errorResponseFindings, NON_ENVELOPE_ERRORS, patternFindings, schemaFindings, tagFindings } from './checks';
import { servedDocument } from './document';
import { brokenBy, tinyDocument } from './fixtures';

const PERSON = 'components.schemas.Person';

describe('OpenAPI document: schemas, patterns, examples, errors and tags', () => {
  const doc = servedDocument();

  it('Should compile every schema as JSON Schema 2020-12 and match every example to its schema', () => {
    expect(schemaFindings(doc)).toEqual([]);
  });

  it('Should give every pattern a regex that means the same with and without the u flag', () => {
    expect(patternFindings(doc)).toEqual([]);
  });

  it('Should describe every 4xx and 5xx answer with the Error schema', () => {
    expect(errorResponseFindings(doc)).toEqual([]);
    // An excused answer that no longer exists is a stale excuse.
    for (const where of Object.keys(NON_ENVELOPE_ERRORS)) {
      const [, path, method, , status] = where.match(/^paths\.(.+)\.(\w+)\.(responses)\.(\d+)$/) ?? [];
      expect(doc.paths[path!]?.[method!]?.responses?.[status!], where).toBeDefined();
    }
  });

  it('Should describe every declared tag, and use each one', () => {
    expect(doc.tags.length).toBeGreaterThan(0);
    expect(tagFindings(doc)).toEqual([]);
  });
});

describe('the document checks themselves', () => {
  it('Should find nothing wrong in the tiny document', () => {
    const doc = tinyDocument();
    expect([
      ...schemaFindings(doc),
      ...patternFindings(doc),
      ...errorResponseFindings(doc),
      ...tagFindings(doc),
    ]).toEqual([]);
  });

  it('Should name a pattern whose regex flags leaked into it, and the example it then refuses', () => {
    const doc = brokenBy((d) => {
      d.components.schemas.Person.properties.name.pattern = '^[^\\p{Cc}]*$/u';
    });
    expect(patternFindings(doc)).toEqual([
      `${PERSON}.properties.name.pattern "^[^\\\\p{Cc}]*$/u": uses \\p{…} or \\u{…}, which mean something else without u`,
      `${PERSON}.properties.name.pattern "^[^\\\\p{Cc}]*$/u": ends in regex flags after $`,
    ]);
    const findings = schemaFindings(doc);
    expect(findings).toContainEqual(expect.stringMatching(/^components\.schemas\.Person\.example does not match/));
    expect(findings).toContainEqual(
      expect.stringMatching(/^components\.schemas\.Person\.properties\.name\.example does not match/),
    );
    expect(findings).toContainEqual(
      expect.stringMatching(/^paths\.\/people\.post\.requestBody\.content\.application\/json\.examples\.ada does not/),
    );
  });

  it('Should name a pattern that is no regular expression', () => {
    const doc = brokenBy((d) => {
      d.components.schemas.Person.properties.name.pattern = '^[a-z';
    });
    expect(patternFindings(doc)).toEqual([
      expect.stringMatching(/^components\.schemas\.Person\.properties\.name\.pattern "\^\[a-z": invalid with flags ""/),
      expect.stringMatching(/invalid with flags "u"/),
    ]);
    expect(schemaFindings(doc)).toContainEqual(expect.stringMatching(/^components\.schemas\.Person: /));
  });

  it('Should name an example that breaks its schema, inline in a path or through a $ref', () => {
    const doc = brokenBy((d) => {
      d.paths['/people'].post.requestBody.content['application/json'].examples.ada.value = { age: -1 };
      d.paths['/people'].post.responses[201].content['application/json'].schema = {
        type: 'object',
        properties: { id: { type: 'string', minLength: 4, example: 'p1' } },
      };
    });
    expect(schemaFindings(doc)).toEqual([
      'paths./people.post.responses.201.content.application/json.schema.properties.id.example does not match its schema: (root) must NOT have fewer than 4 characters',
      "paths./people.post.requestBody.content.application/json.examples.ada does not match its schema: (root) must have required property 'name'; /age must be >= 0",
    ]);
  });

  it('Should name a keyword no validator knows, rather than ignore it', () => {
    const doc = brokenBy((d) => {
      d.components.schemas.Person.properties.age.minimun = 0;
    });
    expect(schemaFindings(doc)).toContainEqual(expect.stringContaining('unknown keyword: "minimun"'));
  });

  it('Should name an error answer without the Error schema', () => {
    const doc = brokenBy((d) => {
      d.paths['/people'].post.responses[409] = { description: 'Already there' };
      d.paths['/people'].post.responses[500] = {
        description: 'Oops',
        content: { 'text/plain': { schema: { type: 'string' } } },
      };
    });
    expect(errorResponseFindings(doc)).toEqual([
      'paths./people.post.responses.409: no body, not the Error schema',
      'paths./people.post.responses.500: content text/plain, not the Error schema',
    ]);
  });

  it('Should name a declared tag without a description or without an operation', () => {
    const doc = brokenBy((d) => {
      d.tags.push({ name: 'Pets' });
    });
    expect(tagFindings(doc)).toEqual(['tags.1 (Pets): no description', 'tags.1 (Pets): no operation uses it']);
  });
});
