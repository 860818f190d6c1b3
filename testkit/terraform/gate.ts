/**
 * Whether the Terraform tests can run here. Without terraform they fail under CI (CI=true or CI=1: CI must
 * plan) and are skipped, with the reason printed, elsewhere.
 */
import { findTerraform, ToolchainUnavailable } from '../../tools/terraform/toolchain';
import { underCi } from '../ci';

export function terraformDescribe(): jest.Describe {
  try {
    findTerraform();
    return describe;
  } catch (error) {
    if (!(error instanceof ToolchainUnavailable)) throw error;
    if (underCi()) {
      throw new Error(`CI must run the offline Terraform plan, but: ${error.message}`, { cause: error });
    }
    console.warn(`skipping the offline Terraform plan: ${error.message}`);
    return describe.skip;
  }
}
