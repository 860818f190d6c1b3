import { formatIpv4Cidr, ipv4Subnet, isIpv6Cidr, parseIpv4Cidr } from '../../constructs/cidr';
import {
  checkCounts,
  checkElbName,
  checkFargateCpuMemory,
  FARGATE_CPU_MEMORY,
  isInZone,
} from '../../constructs/validation';

describe('CIDR syntax', () => {
  test.each([
    ['10.0.0.0/16', 0x0a000000, 16],
    ['0.0.0.0/0', 0, 0],
    ['192.168.1.0/24', 0xc0a80100, 24],
    ['203.0.113.7/32', 0xcb007107, 32],
  ])('accepts %s', (cidr, address, prefix) => {
    expect(parseIpv4Cidr(cidr)).toEqual({ address, prefix });
    expect(formatIpv4Cidr({ address, prefix })).toBe(cidr);
  });
  test.each(['10.0.0.0', '10.0.0.1/16', '256.0.0.0/8', '10.0.0.0/33', '10.0.0/16', '010.0.0.0/8', 'abc'])(
    'rejects %s',
    (cidr) => {
      expect(parseIpv4Cidr(cidr)).toBeUndefined();
    },
  );
  test.each(['::/0', '2001:db8::/32', '2001:db8:0:0:0:0:0:0/64'])('accepts IPv6 %s', (cidr) => {
    expect(isIpv6Cidr(cidr)).toBe(true);
  });
  test.each(['::/129', '2001:db8:::/32', '2001:db8::1', '1:2:3:4:5:6:7/64', 'g::/0'])('rejects IPv6 %s', (cidr) => {
    expect(isIpv6Cidr(cidr)).toBe(false);
  });
  test('subnets are computed like Terraform cidrsubnet()', () => {
    const vpc = parseIpv4Cidr('10.0.0.0/16')!;
    expect(formatIpv4Cidr(ipv4Subnet(vpc, 4, 0))).toBe('10.0.0.0/20');
    expect(formatIpv4Cidr(ipv4Subnet(vpc, 4, 9))).toBe('10.0.144.0/20');
    expect(formatIpv4Cidr(ipv4Subnet(parseIpv4Cidr('172.16.8.0/22')!, 4, 15))).toBe('172.16.11.192/26');
    expect(() => ipv4Subnet(vpc, 4, 16)).toThrow(RangeError);
  });
});

describe('names', () => {
  test('ALB and target group names: at most 32 characters', () => {
    expect(() => checkElbName('X', 'name', 'a'.repeat(33), 'target group')).toThrow(
      "X: 'name' must be 1..32 characters long for a target group name (it has 33)",
    );
    expect(() => checkElbName('X', 'name', 'a'.repeat(32), 'target group')).not.toThrow();
  });
  test('ALB and target group names: letters, digits, inner hyphens', () => {
    expect(() => checkElbName('X', 'name', 'my_alb', 'load balancer')).toThrow(
      /may contain only letters, digits and hyphens/,
    );
    expect(() => checkElbName('X', 'name', '-alb', 'load balancer')).toThrow(/must not start or end with a hyphen/);
  });
  test('ALB names must not start with internal-', () => {
    expect(() => checkElbName('X', 'name', 'internal-api', 'load balancer')).toThrow(/must not start with "internal-"/);
    expect(() => checkElbName('X', 'name', 'internal-api', 'target group')).not.toThrow();
  });
});

describe('Fargate cpu/memory pairs', () => {
  test('every documented pair passes', () => {
    for (const [cpu, memories] of Object.entries(FARGATE_CPU_MEMORY)) {
      for (const memory of memories) expect(() => checkFargateCpuMemory('X', Number(cpu), memory)).not.toThrow();
    }
    expect(FARGATE_CPU_MEMORY[4096]).toContain(30720);
    expect(FARGATE_CPU_MEMORY[8192]).toEqual([
      16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440,
    ]);
  });
  test('an unknown cpu size names the allowed sizes', () => {
    expect(() => checkFargateCpuMemory('X', 300, 512)).toThrow(
      "X: 'cpu' must be a Fargate cpu size: one of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)",
    );
  });
  test('a memory size that does not go with the cpu names the allowed range', () => {
    expect(() => checkFargateCpuMemory('X', 256, 4096)).toThrow(
      "X: 'memory' is not a valid Fargate memory size for cpu 256: allowed 512, 1024, 2048 (MiB) (got 4096)",
    );
    expect(() => checkFargateCpuMemory('X', 1024, 1024)).toThrow(/allowed 2048\.\.8192 in steps of 1024/);
  });
});

describe('counts', () => {
  test('min <= desired <= max', () => {
    expect(() => checkCounts('X', { desiredCount: 5, minCount: 1, maxCount: 4 }, 's.')).toThrow(
      "X: 's.desiredCount' must be in s.minCount..s.maxCount (1..4) (got 5)",
    );
    expect(() => checkCounts('X', { desiredCount: 2, minCount: 3, maxCount: 2 })).toThrow(
      /'minCount' must be <= maxCount \(2\) \(got 3\)/,
    );
    expect(() => checkCounts('X', { desiredCount: 0, minCount: 0, maxCount: 0 })).toThrow(
      /'maxCount' must be an integer in 1\.\.5000 \(got 0\)/,
    );
    expect(() => checkCounts('X', { desiredCount: 1.5, minCount: 1, maxCount: 2 })).toThrow(
      /'desiredCount' must be an integer/,
    );
  });
});

describe('zones', () => {
  test.each([
    ['api.example.com', 'example.com', true],
    ['example.com', 'example.com.', true],
    ['API.Example.com', 'example.com', true],
    ['api.example.org', 'example.com', false],
    ['apiexample.com', 'example.com', false],
  ])('%s in %s: %s', (domain, zone, inside) => {
    expect(isInZone(domain, zone)).toBe(inside);
  });
});
