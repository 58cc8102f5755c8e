import { beforeAll, describe, expect, it } from 'vitest';
import { LINT_EXCEPTIONS, type LintFinding, lintFindings } from './checks';
import { servedDocument } from './document';
import { brokenBy, tinyDocument } from './fixtures';

const keys = (findings: LintFinding[]) => findings.map((f) => f.key);

describe('OpenAPI document: Spectral spectral:oas', () => {
  let findings: LintFinding[];
  beforeAll(async () => {
    findings = await lintFindings(servedDocument());
  });

  it('Should report no error and no warning', () => {
    expect(findings.filter((f) => !(f.key in LINT_EXCEPTIONS)).map((f) => f.line)).toEqual([]);
  });

  it('Should still report every excused finding, so no excuse outlives its reason', () => {
    expect(Object.keys(LINT_EXCEPTIONS).filter((key) => !keys(findings).includes(key))).toEqual([]);
  });
});

describe('the Spectral check itself', () => {
  it('Should find nothing wrong in the tiny document', async () => {
    expect((await lintFindings(tinyDocument())).map((f) => f.line)).toEqual([]);
  });

  it('Should report an undeclared tag, a missing contact and an example that breaks its schema', async () => {
    const doc = brokenBy((d) => {
      d.paths['/people'].post.tags = ['Persons'];
      delete d.info.contact;
      d.components.schemas.Person.properties.name.example = 'Ada\u0007';
    });
    expect(keys(await lintFindings(doc)).sort()).toEqual([
      'info-contact at info',
      'oas3-valid-schema-example at components.schemas.Person.properties.name.example',
      // Spectral lints the resolved document, so a component's example is found again where it is used.
      'oas3-valid-schema-example at paths./people.post.requestBody.content.application/json.schema.properties.name.example',
      'oas3-valid-schema-example at paths./people.post.responses.201.content.application/json.schema.properties.name.example',
      'operation-tag-defined at paths./people.post.tags.0',
    ]);
  });

  it('Should report an operation without a success answer', async () => {
    const doc = brokenBy((d) => {
      const { 422: error } = d.paths['/people'].post.responses;
      d.paths['/people'].post.responses = { 101: { description: 'Switching Protocols' }, 422: error };
    });
    expect(keys(await lintFindings(doc))).toEqual(['operation-success-response at paths./people.post.responses']);
  });
});
