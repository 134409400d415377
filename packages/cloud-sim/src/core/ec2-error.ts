// EC2 error codes the simulator can return, with the HTTP status real EC2 sends for each.
// EC2 splits its codes into client errors (4xx) and server errors (5xx); the SDK uses the status to
// decide on retries, so it matters: InsufficientInstanceCapacity comes back as 500 (observed on the
// wire, e.g. aws-sdk-js v2 reports statusCode 500 for it), RequestLimitExceeded and Unavailable as 503.

export const EC2_ERROR_STATUS = {
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  DryRunOperation: 412,
  InvalidAction: 400,
  MissingParameter: 400,
  MissingAction: 400,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  InvalidPaginationToken: 400,
  InvalidFilter: 400,
  InvalidID: 400,
  'InvalidInstanceID.NotFound': 400,
  'InvalidInstanceID.Malformed': 400,
  'InvalidAMIID.Malformed': 400,
  IdempotentParameterMismatch: 400,
  SpotMaxPriceTooLow: 400,
  MaxSpotInstanceCountExceeded: 400,
  InstanceLimitExceeded: 400,
  VcpuLimitExceeded: 400,
  Unsupported: 400,
  IncorrectInstanceState: 400,
  'InvalidAllocationID.NotFound': 400,
  'InvalidAllocationID.Malformed': 400,
  'InvalidAssociationID.NotFound': 400,
  'InvalidAddress.NotFound': 400,
  'InvalidIPAddress.InUse': 400,
  'Resource.AlreadyAssociated': 400,
  AddressLimitExceeded: 400,
  InsufficientInstanceCapacity: 500,
  InsufficientCapacity: 500,
  InternalError: 500,
  RequestLimitExceeded: 503,
  Unavailable: 503,
} as const;

export type Ec2ErrorCode = keyof typeof EC2_ERROR_STATUS;

export const EC2_ERROR_CODES = Object.keys(EC2_ERROR_STATUS) as Ec2ErrorCode[];

export function isEc2ErrorCode(code: string): code is Ec2ErrorCode {
  return Object.hasOwn(EC2_ERROR_STATUS, code);
}

/** An error EC2 would answer with; the HTTP layer turns it into `<Response><Errors>…`. */
export class Ec2Error extends Error {
  readonly code: Ec2ErrorCode;
  readonly status: number;
  constructor(code: Ec2ErrorCode, message: string) {
    super(message);
    this.name = 'Ec2Error';
    this.code = code;
    this.status = EC2_ERROR_STATUS[code];
  }
}
