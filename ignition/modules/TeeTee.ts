/**
 * Hardhat Ignition deployment of TeeTee, equivalent to `scripts/deploy.ts`:
 *
 *   hardhat ignition deploy ignition/modules/TeeTee.ts --network localhost|remote [--parameters params.json]
 *
 * On a real chain set TEETEE_PAYMENT_TOKEN to the stablecoin's address; without it a TestToken is deployed.
 * Parameters (module "TeeTee"): protocolFeeBps, unbondingPeriod, thawPeriod, adminDelay (seconds a two-step
 * DEFAULT_ADMIN_ROLE transfer waits, default 2 days), treasury (default: the deployer).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

export default buildModule("TeeTee", (m) => {
  const deployer = m.getAccount(0);
  const treasury = m.getParameter("treasury", deployer);
  const protocolFeeBps = m.getParameter("protocolFeeBps", 500);
  const unbondingPeriod = m.getParameter("unbondingPeriod", 7n * 24n * 3600n);
  const thawPeriod = m.getParameter("thawPeriod", 24n * 3600n);
  const adminDelay = m.getParameter("adminDelay", 2 * 24 * 3600);

  const external = process.env.TEETEE_PAYMENT_TOKEN;
  const token = external ? external : m.contract("TestToken");

  const modelRegistry = m.contract("ModelRegistry", [deployer, adminDelay, protocolFeeBps]);
  const staking = m.contract("Staking", [token, deployer, adminDelay, treasury, unbondingPeriod]);
  const runnerRegistry = m.contract("RunnerRegistry", [modelRegistry, staking, deployer, adminDelay]);
  const paymentEscrow = m.contract("PaymentEscrow", [
    token,
    modelRegistry,
    runnerRegistry,
    deployer,
    adminDelay,
    treasury,
    thawPeriod,
  ]);

  const lockerRole = m.staticCall(staking, "LOCKER_ROLE", [], 0, { id: "lockerRole" });
  m.call(staking, "grantRole", [lockerRole, runnerRegistry], { id: "grantLocker" });
  const curatorRole = m.staticCall(modelRegistry, "CURATOR_ROLE", [], 0, { id: "curatorRole" });
  m.call(modelRegistry, "grantRole", [curatorRole, deployer], { id: "grantCurator" });

  return { modelRegistry, staking, runnerRegistry, paymentEscrow };
});
