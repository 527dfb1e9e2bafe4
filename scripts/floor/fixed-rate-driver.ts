// The load of `npm run bench:floor`: postings at a fixed rate for a fixed time over
// keep-alive connections to one Unix socket, as a balancer's pooled upstream
// connections reach a facade. Prints one JSON line: answers by status, and errors.
import http from 'node:http';

const [socketPath, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const total = Math.round(rate * Number(secondsText));
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const statuses: Record<number, number> = {};
let errors = 0;
let answered = 0;
let sent = 0;

function send(index: number): void {
  const body = JSON.stringify({
    valor: 1 + (index % 1000),
    tipo: index % 3 === 0 ? 'c' : 'd',
    descricao: 'floor',
  });
  const request = http.request(
    {
      socketPath,
      agent,
      method: 'POST',
      path: `/clientes/${1 + (index % 5)}/transacoes`,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    },
    (response) => {
      response.resume();
      response.on('end', () => {
        statuses[response.statusCode ?? 0] = (statuses[response.statusCode ?? 0] ?? 0) + 1;
        answered++;
      });
    },
  );
  request.on('error', () => {
    errors++;
    answered++;
  });
  request.end(body);
}

const startMs = performance.now();
// Every tick sends what the schedule says is due, so a late timer never lowers the rate.
const ticker = setInterval(() => {
  const due = Math.min(total, Math.floor(((performance.now() - startMs) / 1000) * rate));
  while (sent < due) send(sent++);
  if (sent < total) return;
  clearInterval(ticker);
  const finished = setInterval(() => {
    if (answered < total) return;
    clearInterval(finished);
    console.log(JSON.stringify({ statuses, errors }));
    agent.destroy();
  }, 10);
}, 2);
