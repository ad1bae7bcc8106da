/**
 * The OpenAPI 3.1 description of the REST side, written by hand as a typed object and served at
 * `GET /openapi.json`; a test holds it to the routes the server really has.
 * @see https://spec.openapis.org/oas/v3.1.0
 */
import { HTTP_ERRORS, type NotificationRoute, sendJson } from '@socketlab/distributed';
import { NOTIFY_LIMITS, PRIORITIES } from '../contract.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const refusals = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: Object.entries(HTTP_ERRORS)
          .filter(([, s]) => s === status)
          .map(([code]) => code)
          .join(', '),
        content: json(ref('Refusal')),
      },
    ]),
  );
const name = { type: 'string', pattern: '^[A-Za-z0-9_.:@-]{1,64}$' };
const id = { type: 'string', pattern: '^[0-9a-z]{9}-[0-9a-z]{6}-[0-9a-f]{8}$' };
const page = [
  { name: 'after', in: 'query', schema: id, description: 'only notifications after this id' },
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  },
];
const apiKey = [{ apiKey: [] }, { bearerApiKey: [] }];

/** The document. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'socketlab notifications',
    version: '0.0.0',
    description:
      'REST in, live push out (Socket.IO, Server-Sent Events, GraphQL). The Socket.IO events are in the README.',
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      bearerApiKey: { type: 'http', scheme: 'bearer', description: 'an API key as a Bearer token' },
      userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    },
    schemas: {
      Refusal: {
        type: 'object',
        required: ['error', 'message'],
        properties: { error: { enum: Object.keys(HTTP_ERRORS) }, message: { type: 'string' } },
      },
      NotifyRequest: {
        type: 'object',
        required: ['title'],
        description: 'exactly one of user, users and topic',
        additionalProperties: false,
        properties: {
          user: name,
          users: { type: 'array', items: name, minItems: 1, maxItems: NOTIFY_LIMITS.maxUsers },
          topic: name,
          title: { type: 'string' },
          body: { type: 'string' },
          type: { type: 'string' },
          data: { description: 'any JSON, delivered as data.payload' },
          ttl: { type: 'integer', minimum: 1, maximum: NOTIFY_LIMITS.maxTtlSeconds },
          priority: { enum: [...PRIORITIES], default: 'normal' },
          idempotencyKey: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
        },
      },
      NotifyResponse: {
        type: 'object',
        properties: {
          notifications: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id, user: name, topic: name, duplicate: { type: 'boolean' } },
            },
          },
        },
      },
      Notification: {
        type: 'object',
        properties: {
          id,
          type: { type: 'string' },
          title: { type: 'string' },
          body: { type: 'string' },
          at: { type: 'integer' },
          user: name,
          topic: name,
          data: {
            type: 'object',
            properties: {
              priority: { enum: [...PRIORITIES] },
              expiresAt: { type: ['integer', 'null'] },
              sender: { type: 'string' },
              payload: {},
            },
          },
        },
      },
      SentRecord: {
        type: 'object',
        properties: {
          id,
          user: name,
          topic: name,
          title: { type: 'string' },
          priority: { enum: [...PRIORITIES] },
          at: { type: 'integer' },
          expiresAt: { type: ['integer', 'null'] },
          deliveredTo: { type: 'array', items: name },
          readBy: { type: 'array', items: name },
        },
      },
      Token: {
        type: 'object',
        properties: { user: name, token: { type: 'string' }, expiresAt: { type: 'integer' } },
      },
    },
  },
  paths: {
    '/notify': {
      post: {
        summary: 'Send a notification to a user, a list of users or a topic',
        security: apiKey,
        requestBody: { required: true, content: json(ref('NotifyRequest')) },
        responses: {
          '202': {
            description: 'accepted, one outcome per recipient',
            content: json(ref('NotifyResponse')),
          },
          ...refusals(400, 401, 413, 415, 429),
        },
      },
    },
    '/notifications': {
      post: {
        summary: 'The same as POST /notify (stage 5’s path)',
        security: apiKey,
        requestBody: { required: true, content: json(ref('NotifyRequest')) },
        responses: {
          '202': { description: 'accepted', content: json(ref('NotifyResponse')) },
          ...refusals(400, 401, 413, 415, 429),
        },
      },
      get: {
        summary:
          'With an API key: what it sent, with delivery acks and read receipts. With a user token: the user’s (or ?topic=) notifications',
        security: [...apiKey, { userToken: [] }],
        parameters: [...page, { name: 'topic', in: 'query', schema: name }],
        responses: {
          '200': {
            description: 'a page, oldest first; next is the cursor',
            content: json({
              type: 'object',
              properties: {
                notifications: {
                  type: 'array',
                  items: { oneOf: [ref('SentRecord'), ref('Notification')] },
                },
                next: { type: ['string', 'null'] },
              },
            }),
          },
          ...refusals(400, 401, 429),
        },
      },
    },
    '/tokens': {
      post: {
        summary: 'A user token (JWT) for the dashboard, sockets and SSE',
        security: apiKey,
        requestBody: {
          required: true,
          content: json({ type: 'object', properties: { user: name } }),
        },
        responses: {
          '201': { description: 'issued', content: json(ref('Token')) },
          ...refusals(400, 401, 429),
        },
      },
    },
    '/events': {
      get: {
        summary:
          'The user’s notifications (or a topic’s) as Server-Sent Events; resumes from Last-Event-ID',
        security: [{ userToken: [] }],
        parameters: [
          {
            name: 'token',
            in: 'query',
            schema: { type: 'string' },
            description: 'the user token, for EventSource',
          },
          { name: 'topic', in: 'query', schema: name },
        ],
        responses: {
          '200': {
            description: 'event: notification, data: a Notification',
            content: { 'text/event-stream': {} },
          },
          ...refusals(400, 401, 503),
        },
      },
    },
    '/graphql': {
      post: {
        summary:
          'GraphQL queries and the notify mutation (API key as Bearer); subscriptions over graphql-ws on the same path',
        responses: {
          '200': { description: 'a GraphQL result', content: json({ type: 'object' }) },
        },
      },
    },
    '/webhooks': {
      get: {
        summary:
          'The webhook delivery log (with --webhook): state, attempts, last status per delivery',
        security: apiKey,
        responses: {
          '200': {
            description: 'deliveries, oldest first',
            content: json({ type: 'object', properties: { deliveries: { type: 'array' } } }),
          },
          ...refusals(401, 429),
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: {
          '200': { description: 'text exposition format', content: { 'text/plain': {} } },
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1', content: json({}) } },
      },
    },
    '/health': {
      get: {
        summary: 'Liveness',
        responses: { '200': { description: 'ok', content: json({ type: 'object' }) } },
      },
    },
  },
} as const;

/** `GET /openapi.json`. */
export const openApiRoute: NotificationRoute = {
  method: 'GET',
  path: '/openapi.json',
  handle: (_req, res) => sendJson(res, 200, OPENAPI_DOCUMENT),
};
