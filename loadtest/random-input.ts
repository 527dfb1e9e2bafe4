// The random inputs of the load, as the simulation draws them: client 1 to 5, valor 1
// to 10000, a 10-character alphanumeric descricao. The source of randomness is a
// parameter so tests can make a run reproducible.
import { AMOUNT_CENTS_MAX, CLIENTS, DESCRIPTION_LENGTH } from './contest.js';

export type RandomSource = () => number;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomIntegerBetween(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function randomClientId(random: RandomSource): number {
  return randomIntegerBetween(random, 1, CLIENTS.length);
}

export function randomAmountCents(random: RandomSource): number {
  return randomIntegerBetween(random, 1, AMOUNT_CENTS_MAX);
}

export function randomDescription(random: RandomSource): string {
  let description = '';
  for (let index = 0; index < DESCRIPTION_LENGTH; index += 1) {
    description += ALPHANUMERIC[Math.floor(random() * ALPHANUMERIC.length)];
  }
  return description;
}
