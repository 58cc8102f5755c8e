import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { PRIVATE_DOWNLOAD_HEADERS } from '../files/files.service';
import {
  createFeed,
  FEED_FUTURE_DAYS,
  FEED_PAST_DAYS,
  feedCalendar,
  getFeed,
  revokeFeed,
} from './calendar-feed.service';
import { CreatedFeedSchema, FeedFileParam, FeedSchema, IcsText } from './records.schemas';

const tags = ['Calendar'];

const createFeedRoute = defineRoute({
  method: 'post',
  path: '/calendar/feed',
  operationId: 'calendar.feed.create',
  tags,
  summary: 'Create or rotate my private calendar feed URL',
  description:
    'Answers a secret URL to subscribe to in Google Calendar, Outlook or Apple Calendar. It is shown once (only a ' +
    'hash is stored); calling again issues a new URL and the old one stops working at once.',
  responses: { 201: jsonResponse(CreatedFeedSchema, 'The feed URL (shown once)') },
});

const getFeedRoute = defineRoute({
  method: 'get',
  path: '/calendar/feed',
  operationId: 'calendar.feed.get',
  tags,
  summary: 'Whether I have a calendar feed (never its URL)',
  responses: { 200: jsonResponse(FeedSchema, 'The feed status') },
});

const revokeFeedRoute = defineRoute({
  method: 'delete',
  path: '/calendar/feed',
  operationId: 'calendar.feed.revoke',
  tags,
  summary: 'Revoke my calendar feed URL',
  description: 'The URL answers 404 from now on. Revoking when there is no feed changes nothing.',
  responses: { 200: jsonResponse(FeedSchema, 'Revoked') },
});

const feedIcsRoute = defineRoute({
  method: 'get',
  path: '/calendar/feed/{file}',
  operationId: 'calendar.feed.ics',
  tags,
  summary: 'A calendar feed (`<token>.ics`), fetched by calendar apps without sign-in',
  description:
    `The owner’s appointments as patient or doctor, from ${FEED_PAST_DAYS} days ago to ${FEED_FUTURE_DAYS} days ahead: ` +
    'pending ones TENTATIVE, cancelled ones CANCELLED, rejected requests left out; no clinical text. An unknown ' +
    'or revoked token, or an account that is blocked or removed, answers 404.',
  request: { params: FeedFileParam },
  responses: {
    200: { description: 'The calendar', content: { 'text/calendar': { schema: IcsText } } },
    404: errorOf('No such feed (NOT_FOUND)'),
  },
});

export const calendarRouter = createRouter()
  .openapi(createFeedRoute, async (c) => {
    const feed = await createFeed(c.get('ctx'), new URL(c.req.url).origin);
    return c.json(ok(feed, 'Calendar feed created'), 201);
  })
  .openapi(getFeedRoute, async (c) => c.json(ok(await getFeed(c.get('ctx'))), 200))
  .openapi(revokeFeedRoute, async (c) => c.json(ok(await revokeFeed(c.get('ctx')), 'Calendar feed revoked'), 200))
  .openapi(feedIcsRoute, async (c) => {
    const body = await feedCalendar(c.get('ctx'), c.req.valid('param').file);
    return new Response(body, {
      headers: {
        'content-type': 'text/calendar; charset=utf-8',
        ...PRIVATE_DOWNLOAD_HEADERS,
      },
    });
  });
