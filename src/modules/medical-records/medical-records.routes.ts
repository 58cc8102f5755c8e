import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, idParam, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { downloadResponse } from '../files/files.schemas';
import { fileDownload } from '../files/files.service';
import { addDocument, listDocuments, readDocument } from './documents.service';
import { listEmergencyAccesses, requestEmergencyAccess, reviewEmergencyAccess } from './emergency-access.service';
import { createGrant, listGrants, revokeGrant } from './grants.service';
import {
  AccessLogEntrySchema,
  DocumentBody,
  DocumentParam,
  DocumentSchema,
  EmergencyAccessSchema,
  EmergencyBody,
  EmergencyQuery,
  GrantBody,
  GrantSchema,
  MedicalRecordSchema,
  PatchRecordBody,
  PatientIdParam,
  PutRecordBody,
  RecordVersionMetaSchema,
  ReviewBody,
  VersionParam,
} from './medical-records.schemas';
import { getRecord, getVersion, listAccessLog, listVersions, writeRecord } from './medical-records.service';

const BODY_LIMIT = 256 * 1024;
/** What a record document can be: the types its upload purposes (`attachment`, `lab-report`) accept. */
const DOCUMENT_TYPES = [...new Set([...UPLOAD_RULES.attachment.types, ...UPLOAD_RULES['lab-report'].types])];
const RECORD = '/patients/{patientId}/medical-record';
const tags = ['Medical records'];
const notFound = errorOf(
  'No such record the caller may open: another patient’s without access is the same (NOT_FOUND)',
);
const WHO_READS =
  'Readable by the patient (`me`), a doctor with a confirmed, in-progress or completed appointment with them within `records.doctorAccessDays`, a live grant holder, and a doctor with live emergency access; anyone else gets 404. Every read is written to the patient’s access log and the audit trail in the same round trip.';
const WHO_WRITES =
  'The patient writes their own record; a doctor with a care relationship or a whole-record grant writes their patient’s; anyone else gets 404. Each change is a new version (content encrypted at rest) naming its author and the sections it changed. `baseVersion` must be the newest version (0 for an unwritten record): another is 409 `CONFLICT` (`details.reason: "stale-version"`).';

const getRecordRoute = defineRoute({
  method: 'get',
  path: RECORD,
  operationId: 'medicalRecords.get',
  tags,
  summary: 'A patient’s medical record (its newest version)',
  description: `${WHO_READS} Version 0 with empty sections while nobody has written it.`,
  request: { params: PatientIdParam },
  responses: { 200: jsonResponse(MedicalRecordSchema, 'The record'), 404: notFound },
});

const writeRoute = (method: 'put' | 'patch') =>
  defineRoute({
    method,
    path: RECORD,
    operationId: method === 'put' ? 'medicalRecords.replace' : 'medicalRecords.update',
    tags,
    summary:
      method === 'put'
        ? 'Replace a medical record (a new version)'
        : 'Change sections of a medical record (a new version)',
    description: `${WHO_WRITES} ${method === 'put' ? 'Sections the body leaves out are emptied.' : 'Sections the body leaves out stay as they are.'}`,
    bodyLimit: BODY_LIMIT,
    request: { params: PatientIdParam, body: jsonBody(method === 'put' ? PutRecordBody : PatchRecordBody) },
    responses: {
      200: jsonResponse(MedicalRecordSchema, 'The new version'),
      404: notFound,
      409: errorOf('`baseVersion` is not the newest version (CONFLICT)'),
    },
  });
const putRoute = writeRoute('put');
const patchRoute = writeRoute('patch');

const versionsRoute = defineRoute({
  method: 'get',
  path: `${RECORD}/versions`,
  operationId: 'medicalRecords.versions.list',
  tags,
  summary: 'The history of a medical record: versions, authors, times, sections changed',
  description: WHO_READS,
  request: { params: PatientIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(RecordVersionMetaSchema), 'Versions, newest first'), 404: notFound },
});

const versionRoute = defineRoute({
  method: 'get',
  path: `${RECORD}/versions/{version}`,
  operationId: 'medicalRecords.versions.get',
  tags,
  summary: 'One version of a medical record, as it was written',
  description: WHO_READS,
  request: { params: VersionParam },
  responses: {
    200: jsonResponse(MedicalRecordSchema, 'The version'),
    404: errorOf('No such version, or not the caller’s to read (NOT_FOUND)'),
  },
});

const documentsRoute = defineRoute({
  method: 'get',
  path: `${RECORD}/documents`,
  operationId: 'medicalRecords.documents.list',
  tags,
  summary: 'The documents linked to a medical record',
  description: `${WHO_READS} A \`documents\` grant opens this list only.`,
  request: { params: PatientIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(DocumentSchema), 'Documents, oldest first'), 404: notFound },
});

const downloadDocumentRoute = defineRoute({
  method: 'get',
  path: `${RECORD}/documents/{documentId}`,
  operationId: 'medicalRecords.documents.download',
  tags,
  summary: 'Download one document of a medical record',
  description: `${WHO_READS} A \`documents\` grant opens it too. The bytes with their sniffed Content-Type, as a download that is never cached; logged in the patient's access log and audited.`,
  request: { params: DocumentParam },
  responses: {
    200: downloadResponse(DOCUMENT_TYPES, 'The file'),
    404: errorOf('No such document on this record, or the record is not the caller’s to open (NOT_FOUND)'),
  },
});

const addDocumentRoute = defineRoute({
  method: 'post',
  path: `${RECORD}/documents`,
  operationId: 'medicalRecords.documents.add',
  tags,
  summary: 'Link an uploaded file to a medical record as a document',
  description:
    'Upload first (POST /files, purpose `attachment` or `lab-report`), then link it with a `type` (`lab-report`, `imaging`, `discharge-letter`, `other`). Whoever may change the record may add documents; a file is one record’s document at most.',
  bodyLimit: 4 * 1024,
  request: { params: PatientIdParam, body: jsonBody(DocumentBody) },
  responses: { 201: jsonResponse(DocumentSchema, 'Linked'), 404: notFound },
});

const accessLogRoute = defineRoute({
  method: 'get',
  path: '/patients/me/medical-record/access-log',
  operationId: 'medicalRecords.accessLog',
  tags,
  summary: 'Who opened my medical record, when and why',
  description:
    'Every read and change of my record, newest first: who (`actorId`, `actorRole`), when, what (`resource`), and why (`basis`: `patient`, `relation`, `grant` or `emergency`, with the reason given for an emergency access).',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(AccessLogEntrySchema), 'Access log entries') },
});

const emergencyRoute = defineRoute({
  method: 'post',
  path: `${RECORD}/emergency-access`,
  operationId: 'medicalRecords.emergencyAccess',
  tags,
  summary: 'Emergency ("break glass") read access to a patient’s record',
  description:
    'A verified doctor states a `reason` (required) and may read the record for `records.emergencyAccessMinutes`. The patient and the admins are notified at once, and admins review every use.',
  bodyLimit: 4 * 1024,
  request: { params: PatientIdParam, body: jsonBody(EmergencyBody) },
  responses: {
    201: jsonResponse(EmergencyAccessSchema, 'Access open until `expiresAt`'),
    404: errorOf('No such patient (NOT_FOUND)'),
  },
});

const GRANTS = '/patients/me/record-grants';

const createGrantRoute = defineRoute({
  method: 'post',
  path: GRANTS,
  operationId: 'recordGrants.create',
  tags,
  summary: 'Grant a doctor or caregiver access to my record until a time',
  description:
    '`scope`: `record` (the whole record, read; a doctor may also add to it) or `documents` (the documents only). Access ends at once at `expiresAt` (future, at most 365 days ahead) or when revoked.',
  bodyLimit: 4 * 1024,
  request: { body: jsonBody(GrantBody) },
  responses: {
    201: jsonResponse(GrantSchema, 'Granted'),
    404: errorOf('No such active doctor or caregiver (NOT_FOUND)'),
  },
});

const listGrantsRoute = defineRoute({
  method: 'get',
  path: GRANTS,
  operationId: 'recordGrants.list',
  tags,
  summary: 'My record grants, live or not',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(GrantSchema), 'Grants, newest first') },
});

const revokeGrantRoute = defineRoute({
  method: 'delete',
  path: `${GRANTS}/{id}`,
  operationId: 'recordGrants.revoke',
  tags,
  summary: 'Revoke a grant at once',
  request: { params: idParam('rgr', 'grant') },
  responses: { 200: jsonResponse(GrantSchema, 'Revoked'), 404: errorOf('Not one of my grants (NOT_FOUND)') },
});

const adminListRoute = defineRoute({
  method: 'get',
  path: '/admin/emergency-access',
  operationId: 'admin.emergencyAccess.list',
  tags,
  summary: 'The emergency access review queue',
  description: '`status=pending` for the uses still to review.',
  request: { query: EmergencyQuery },
  responses: { 200: jsonResponse(pageOf(EmergencyAccessSchema), 'Emergency accesses, newest first') },
});

const adminReviewRoute = defineRoute({
  method: 'post',
  path: '/admin/emergency-access/{id}/review',
  operationId: 'admin.emergencyAccess.review',
  tags,
  summary: 'Approve or flag an emergency access',
  bodyLimit: 4 * 1024,
  request: { params: idParam('ema', 'emergency access'), body: jsonBody(ReviewBody) },
  responses: {
    200: jsonResponse(EmergencyAccessSchema, 'Reviewed'),
    404: errorOf('No such emergency access (NOT_FOUND)'),
    409: errorOf('Already reviewed (INVALID_TRANSITION)'),
  },
});

export const medicalRecordsRouter = createRouter()
  .openapi(accessLogRoute, async (c) => c.json(ok(await listAccessLog(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRecordRoute, async (c) => c.json(ok(await getRecord(c.get('ctx'), c.req.valid('param').patientId)), 200))
  .openapi(putRoute, async (c) => {
    const record = await writeRecord(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('json'), 'replace');
    return c.json(ok(record, 'Medical record saved'), 200);
  })
  .openapi(patchRoute, async (c) => {
    const record = await writeRecord(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('json'), 'merge');
    return c.json(ok(record, 'Medical record saved'), 200);
  })
  .openapi(versionsRoute, async (c) =>
    c.json(ok(await listVersions(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('query'))), 200),
  )
  .openapi(versionRoute, async (c) => {
    const { patientId, version } = c.req.valid('param');
    return c.json(ok(await getVersion(c.get('ctx'), patientId, version)), 200);
  })
  .openapi(documentsRoute, async (c) =>
    c.json(ok(await listDocuments(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('query'))), 200),
  )
  .openapi(downloadDocumentRoute, async (c) => {
    const { patientId, documentId } = c.req.valid('param');
    const { document, body } = await readDocument(c.get('ctx'), patientId, documentId);
    return fileDownload(document, body);
  })
  .openapi(addDocumentRoute, async (c) => {
    const document = await addDocument(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('json'));
    return c.json(ok(document, 'Document linked'), 201);
  })
  .openapi(emergencyRoute, async (c) => {
    const access = await requestEmergencyAccess(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('json'));
    return c.json(ok(access, 'Emergency access open'), 201);
  })
  .openapi(createGrantRoute, async (c) =>
    c.json(ok(await createGrant(c.get('ctx'), c.req.valid('json')), 'Access granted'), 201),
  )
  .openapi(listGrantsRoute, async (c) => c.json(ok(await listGrants(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(revokeGrantRoute, async (c) =>
    c.json(ok(await revokeGrant(c.get('ctx'), c.req.valid('param').id), 'Access revoked'), 200),
  )
  .openapi(adminListRoute, async (c) =>
    c.json(ok(await listEmergencyAccesses(c.get('ctx'), c.req.valid('query'))), 200),
  )
  .openapi(adminReviewRoute, async (c) => {
    const access = await reviewEmergencyAccess(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(access, 'Emergency access reviewed'), 200);
  });
