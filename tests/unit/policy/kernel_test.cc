#include "monitor/policy/kernel.h"

#include <gtest/gtest.h>

namespace imawatch::policy {
namespace {

TEST(KernelVersion, ParsesVersionsAndUnameReleases) {
  EXPECT_EQ(ParseKernelVersion("6.1"), (KernelVersion{6, 1}));
  EXPECT_EQ(ParseKernelVersion("5.15.0-91-generic"), (KernelVersion{5, 15}));
  EXPECT_EQ(ParseKernelVersion("6.12.117+deb13-amd64"), (KernelVersion{6, 12}));
  EXPECT_EQ(ParseKernelVersion("5.4.0-1103-aws"), (KernelVersion{5, 4}));
  EXPECT_EQ(ParseKernelVersion("6.18.44-fc-v769"), (KernelVersion{6, 18}));
  EXPECT_FALSE(ParseKernelVersion("6"));
  EXPECT_FALSE(ParseKernelVersion("six.one"));
  EXPECT_FALSE(ParseKernelVersion("6.1x"));
  EXPECT_FALSE(ParseKernelVersion(""));
  EXPECT_FALSE(ParseKernelVersion("99999999.1"));
}

TEST(KernelVersion, ReleaseStringDefaultsToTheNewestModeledKernel) {
  EXPECT_EQ(KernelForRelease("5.15.0-91-generic"), (KernelVersion{5, 15}));
  EXPECT_EQ(KernelForRelease("garbage"), NewestReferenceKernel());
  EXPECT_EQ(KernelForRelease(""), NewestReferenceKernel());
  EXPECT_EQ(NewestReferenceKernel(), (KernelVersion{6, 12}));
  EXPECT_EQ(OldestReferenceKernel(), (KernelVersion{5, 4}));
  EXPECT_EQ(ReferenceKernels().size(), 5u);
}

TEST(KernelVersion, RunningReleaseComesFromUname) {
  std::string release = RunningKernelRelease();
  ASSERT_FALSE(release.empty());
  EXPECT_TRUE(ParseKernelVersion(release).has_value()) << release;
}

TEST(KernelFeatures, FollowTheVersionMatrix) {
  KernelFeatures v54 = FeaturesOf({5, 4});
  EXPECT_FALSE(v54.key_check);
  EXPECT_FALSE(v54.validate_rule);
  KernelFeatures v510 = FeaturesOf({5, 10});
  EXPECT_TRUE(v510.key_check);
  EXPECT_TRUE(v510.validate_rule);
  EXPECT_FALSE(v510.critical_data);
  KernelFeatures v515 = FeaturesOf({5, 15});
  EXPECT_TRUE(v515.critical_data);
  EXPECT_TRUE(v515.evm_sig_template);
  EXPECT_TRUE(v515.appraise_algos);
  EXPECT_FALSE(v515.gid);
  EXPECT_FALSE(v515.verity);
  KernelFeatures v61 = FeaturesOf({6, 1});
  EXPECT_TRUE(v61.gid);
  EXPECT_TRUE(v61.verity);
  EXPECT_FALSE(v61.mmap_reqprot);
  EXPECT_FALSE(v61.appraise_flag_ignored);
  KernelFeatures v612 = FeaturesOf({6, 12});
  EXPECT_TRUE(v612.mmap_reqprot);
  EXPECT_TRUE(v612.appraise_flag_ignored);
  EXPECT_TRUE(v612.sha3);
}

TEST(KernelConfig, SettingsChangeBuildOptionsAndLsm) {
  KernelConfig config;
  EXPECT_TRUE(config.appraise_modsig);
  ASSERT_TRUE(ApplyKernelSetting(config, "CONFIG_IMA_APPRAISE_MODSIG=n").ok());
  EXPECT_FALSE(config.appraise_modsig);
  ASSERT_TRUE(ApplyKernelSetting(config, "IMA_MEASURE_ASYMMETRIC_KEYS=n").ok());
  EXPECT_FALSE(config.measure_asymmetric_keys);
  ASSERT_TRUE(ApplyKernelSetting(config, "IMA_LSM_RULES=no").ok());
  EXPECT_FALSE(config.lsm_rules);
  ASSERT_TRUE(ApplyKernelSetting(config, "IMA_APPRAISE=n").ok());
  EXPECT_FALSE(config.appraise);
  ASSERT_TRUE(ApplyKernelSetting(config, "IMA_APPRAISE=y").ok());
  EXPECT_TRUE(config.appraise);
  ASSERT_TRUE(ApplyKernelSetting(config, "lsm=apparmor").ok());
  EXPECT_EQ(config.lsm, Lsm::kApparmor);
  EXPECT_FALSE(ApplyKernelSetting(config, "IMA_FOO=y").ok());
  EXPECT_FALSE(ApplyKernelSetting(config, "IMA_APPRAISE=maybe").ok());
  EXPECT_FALSE(ApplyKernelSetting(config, "lsm=tomoyo").ok());
  EXPECT_FALSE(ApplyKernelSetting(config, "IMA_APPRAISE").ok());
}

}  // namespace
}  // namespace imawatch::policy
