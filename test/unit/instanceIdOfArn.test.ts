import { describe, expect, it } from 'vitest';
import type { TargetAccount } from '../../src/config/targetsSchema.ts';
import { instanceIdOfArn } from '../../src/inventory/readScopeTags.ts';

const com = { id: '111111111111', partition: 'aws', regions: ['us-east-1'] } as unknown as TargetAccount;
const gov = { id: '222222222222', partition: 'aws-us-gov', regions: ['us-gov-west-1'] } as unknown as TargetAccount;

describe('instanceIdOfArn (GetResources ARNs → the scope instances)', () => {
  it('reads EC2 instances and hybrid managed nodes of exactly the scope, in its own partition', () => {
    expect(instanceIdOfArn('arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0', com, 'us-east-1')).toBe(
      'i-0123456789abcdef0',
    );
    expect(instanceIdOfArn('arn:aws:ssm:us-east-1:111111111111:managed-instance/mi-0123456789abcdef0', com, 'us-east-1')).toBe(
      'mi-0123456789abcdef0',
    );
    expect(instanceIdOfArn('arn:aws-us-gov:ec2:us-gov-west-1:222222222222:instance/i-0123456789abcdef0', gov, 'us-gov-west-1')).toBe(
      'i-0123456789abcdef0',
    );
  });

  it('ignores another partition, account or region, and anything that is not an instance', () => {
    for (const arn of [
      'arn:aws-us-gov:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0',
      'arn:aws:ec2:us-east-1:333333333333:instance/i-0123456789abcdef0',
      'arn:aws:ec2:us-west-2:111111111111:instance/i-0123456789abcdef0',
      'arn:aws:ec2:us-east-1:111111111111:volume/vol-0123456789abcdef0',
      'arn:aws:ec2:us-east-1:111111111111:instance/mi-0123456789abcdef0',
      'arn:aws:ssm:us-east-1:111111111111:managed-instance/i-0123456789abcdef0',
      'arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0/extra',
    ]) {
      expect(instanceIdOfArn(arn, com, 'us-east-1'), arn).toBeUndefined();
    }
    expect(instanceIdOfArn('arn:aws:ec2:us-gov-west-1:222222222222:instance/i-0123456789abcdef0', gov, 'us-gov-west-1')).toBeUndefined();
  });
});
