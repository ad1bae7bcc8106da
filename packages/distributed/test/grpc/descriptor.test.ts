import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { expect, it } from 'vitest';
import {
  PRICE_FEED_DESCRIPTOR,
  PRICE_FEED_LOADER_OPTIONS,
  PRICE_FEED_SERVICE_NAME,
  PRICE_SYMBOL_MAX_LENGTH,
  PRICE_SYMBOL_PATTERN,
} from '../../src/grpc/index.ts';

const protoPath = fileURLToPath(new URL('../../src/grpc/price-feed.proto', import.meta.url));
const fromProto = protoLoader.loadSync(protoPath, PRICE_FEED_LOADER_OPTIONS);
const fromJson = protoLoader.fromJSON(PRICE_FEED_DESCRIPTOR, PRICE_FEED_LOADER_OPTIONS);

it('the JSON descriptor the code loads defines the same service as price-feed.proto', () => {
  const a = fromProto[PRICE_FEED_SERVICE_NAME] as protoLoader.ServiceDefinition;
  const b = fromJson[PRICE_FEED_SERVICE_NAME] as protoLoader.ServiceDefinition;
  const shape = (service: protoLoader.ServiceDefinition) =>
    Object.fromEntries(
      Object.entries(service).map(([name, m]) => [
        name,
        [
          m.path,
          m.requestStream,
          m.responseStream,
          (m.requestType.type as { name: string }).name,
          (m.responseType.type as { name: string }).name,
        ],
      ]),
    );
  expect(shape(b)).toEqual(shape(a));
  expect(shape(a)).toEqual({
    Subscribe: [
      '/socketlab.pricefeed.PriceFeed/Subscribe',
      true,
      true,
      'SubscribeRequest',
      'PriceUpdate',
    ],
    GetPrice: [
      '/socketlab.pricefeed.PriceFeed/GetPrice',
      false,
      false,
      'PriceRequest',
      'PriceUpdate',
    ],
  });
});

it.each(['SubscribeRequest', 'PriceRequest', 'PriceUpdate', 'Action'])(
  'message %s has the same fields (names, numbers, types, labels) in both',
  (name) => {
    const type = (def: protoLoader.PackageDefinition) =>
      (def[`socketlab.pricefeed.${name}`] as protoLoader.MessageTypeDefinition<unknown, unknown>)
        .type as {
        field?: Array<Record<string, unknown>>;
        value?: Array<Record<string, unknown>>;
      };
    const pick = (t: ReturnType<typeof type>) => ({
      fields: (t.field ?? []).map((f) => [f.name, f.number, f.type, f.typeName, f.label]),
      values: (t.value ?? []).map((v) => [v.name, v.number]),
    });
    expect(pick(type(fromJson))).toEqual(pick(type(fromProto)));
  },
);

it('a message encoded by one definition decodes the same with the other', () => {
  const update = { symbol: 'ACME', price: 101.25, sequence: 7, timestamp: 1_700_000_000_000 };
  const a = fromProto[PRICE_FEED_SERVICE_NAME] as protoLoader.ServiceDefinition;
  const b = fromJson[PRICE_FEED_SERVICE_NAME] as protoLoader.ServiceDefinition;
  const [getA, getB] = [a.GetPrice, b.GetPrice];
  if (!getA || !getB) throw new Error('GetPrice is missing');
  const bytes = getA.responseSerialize(update);
  expect(getB.responseDeserialize(bytes)).toEqual(update);
  expect(Buffer.compare(getB.responseSerialize(update), bytes)).toBe(0);
});

it.each([
  ['ACME', true],
  ['BRK.B', true],
  ['X', true],
  ['A'.repeat(PRICE_SYMBOL_MAX_LENGTH), true],
  ['A'.repeat(PRICE_SYMBOL_MAX_LENGTH + 1), false],
  ['acme', false],
  ['1ACME', false],
  ['', false],
  ['AC ME', false],
])('the symbol pattern says %j is %s', (symbol, ok) => {
  expect(PRICE_SYMBOL_PATTERN.test(symbol)).toBe(ok);
});
