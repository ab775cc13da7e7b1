#include <gtest/gtest.h>

#include "monitor/compliance/key_value_conf.h"
#include "monitor/compliance/modprobe_conf.h"
#include "monitor/compliance/sshd_config.h"
#include "monitor/compliance/sysctl_conf.h"
#include "monitor/compliance/systemd_unit.h"
#include "monitor/compliance/yaml_setting.h"

namespace imawatch::compliance {
namespace {

TEST(SshdConfig, FirstValueWinsIncludesAndMatchBlocks) {
  std::map<std::string, std::string> files = {
      {"/etc/ssh/sshd_config.d/10-a.conf", "permitrootlogin yes\nMatch User inner\n  X11Forwarding yes\n"},
      {"/etc/ssh/sshd_config.d/20-b.conf", "MaxAuthTries 2\n"},
  };
  std::vector<std::string> asked;
  SshdIncludeResolver resolve = [&](const std::string& pattern) {
    asked.push_back(pattern);
    std::vector<IncludedText> out;
    for (const auto& [path, text] : files) out.push_back({path, text});
    return out;
  };
  SshdConfig config;
  ParseSshdConfig(
      "# comment\nInclude sshd_config.d/*.conf\nPermitRootLogin no\nMaxAuthTries=6\n"
      "AllowUsers alice\nAllowUsers bob carol\nX11Forwarding no\nBanner \"/etc/issue net\"\n"
      "Match Group admins\n  PermitRootLogin prohibit-password\n  PermitRootLogin yes\n",
      "/etc/ssh/sshd_config", resolve, config);
  EXPECT_EQ(asked, std::vector<std::string>{"/etc/ssh/sshd_config.d/*.conf"});
  EXPECT_EQ(config.global["permitrootlogin"].text, "yes");  // the included file came first
  EXPECT_EQ(config.global["permitrootlogin"].origin, "/etc/ssh/sshd_config.d/10-a.conf:1");
  EXPECT_EQ(config.global["maxauthtries"].text, "2");
  // The Match block opened in the included file ended with it.
  EXPECT_EQ(config.global["x11forwarding"].text, "no");
  EXPECT_EQ(config.global["allowusers"].items, (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(config.global["banner"].text, "/etc/issue net");
  ASSERT_EQ(config.in_matches["permitrootlogin"].size(), 1u);
  EXPECT_EQ(config.in_matches["permitrootlogin"][0].criteria, "Group admins");
  EXPECT_EQ(config.in_matches["permitrootlogin"][0].value.text, "prohibit-password");
  ASSERT_EQ(config.in_matches["x11forwarding"].size(), 1u);
  EXPECT_EQ(config.in_matches["x11forwarding"][0].criteria, "User inner");
}

TEST(SysctlConf, LastAssignmentWinsAndSlashKeysNormalize) {
  std::map<std::string, SettingValue> s;
  ParseSysctlConf("net.ipv4.ip_forward = 1\n; comment\n", "/usr/lib/sysctl.d/50-default.conf", s);
  ParseSysctlConf("# ours\n-net/ipv4/ip_forward=0\nnet/ipv4/conf/eth0.100/rp_filter = 1\nbroken line\n",
                  "/etc/sysctl.d/60-cis.conf", s);
  EXPECT_EQ(s["net.ipv4.ip_forward"].text, "0");
  EXPECT_EQ(s["net.ipv4.ip_forward"].origin, "/etc/sysctl.d/60-cis.conf:2");
  EXPECT_EQ(s["net.ipv4.conf.eth0/100.rp_filter"].text, "1");
  EXPECT_EQ(NormalizeSysctlKey("net.ipv4.conf.all.rp_filter"), "net.ipv4.conf.all.rp_filter");
}

TEST(ModprobeConf, FirstInstallWinsAndNamesNormalize) {
  std::map<std::string, SettingValue> s;
  ParseModprobeConf("install usb-storage /bin/false\nblacklist usb_storage\ninstall cramfs \\\n  /bin/true\n",
                    "/etc/modprobe.d/a.conf", s);
  ParseModprobeConf("install usb_storage /sbin/modprobe --ignore-install usb-storage\n",
                    "/etc/modprobe.d/b.conf", s);
  EXPECT_EQ(s[NormalizeModprobeKey("install usb-storage")].text, "/bin/false");
  EXPECT_EQ(s[NormalizeModprobeKey("blacklist usb-storage")].text, "true");
  EXPECT_EQ(s["install cramfs"].text, "/bin/true");
  EXPECT_EQ(s["install cramfs"].origin, "/etc/modprobe.d/a.conf:3");
}

TEST(KeyValueConf, BothSeparatorsQuotesAndSections) {
  std::map<std::string, SettingValue> s;
  ParseKeyValueConf(
      "[Journal]\nStorage=persistent\nmax_log_file_action = keep_logs\nPASS_MAX_DAYS\t90\n"
      "enabled=\"0\"\n# Compress=no\n",
      "/etc/x", s);
  EXPECT_EQ(s["Storage"].text, "persistent");
  EXPECT_EQ(s["max_log_file_action"].text, "keep_logs");
  EXPECT_EQ(s["PASS_MAX_DAYS"].text, "90");
  EXPECT_EQ(s["enabled"].text, "0");
  EXPECT_EQ(s.count("Compress"), 0u);
}

TEST(SystemdUnit, DropInsResetExecStartAndEnvironmentFilesOverride) {
  ServiceDirectives d;
  ParseUnitFile(
      "[Unit]\nExecStart=/not/service/section\n[Service]\nExecStart=/usr/bin/kubelet\n"
      "Environment=A=unit\n",
      "/usr/lib/systemd/system/kubelet.service", d);
  ParseUnitFile(
      "[Service]\nEnvironment=\"B=two words\" C=3\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\n"
      "ExecStart=/usr/bin/kubelet $B ${C}x \\\n  $A $MISSING --literal=$C $$HOME\n",
      "/etc/systemd/system/kubelet.service.d/10.conf", d);
  ASSERT_EQ(d.exec_start.size(), 1u);
  EXPECT_EQ(d.exec_start[0].line, 5u);
  ASSERT_EQ(d.environment_files.size(), 1u);
  Environment env;
  for (const auto& e : d.environment) ApplyEnvironmentDirective(e, env);
  ParseEnvironmentFile("# kubeadm\nA='from file'\nB=\"quoted \\\"x\\\"\"  \n", "/etc/default/kubelet", env);
  EXPECT_EQ(env["A"].value, "from file");
  EXPECT_EQ(env["B"].value, "quoted \"x\"");
  EXPECT_EQ(env["C"].origin, "/etc/systemd/system/kubelet.service.d/10.conf:2");
  std::vector<CommandArg> args = ExpandExecStart(d.exec_start[0], env);
  std::vector<std::string> words;
  for (const auto& a : args) words.push_back(a.text);
  EXPECT_EQ(words, (std::vector<std::string>{"/usr/bin/kubelet", "quoted", "x", "3x", "from", "file",
                                             "--literal=$C", "$HOME"}));
  EXPECT_NE(args[1].origin.find("via $B from /etc/default/kubelet:3"), std::string::npos) << args[1].origin;
}

TEST(SystemdUnit, UnitWordsAndEnvFileEdgeCases) {
  EXPECT_EQ(SplitUnitWords(R"(-/usr/bin/x "a b" 'c d' e\ f)"),
            (std::vector<std::string>{"-/usr/bin/x", "a b", "c d", "e f"}));
  Environment env;
  ParseEnvironmentFile("KUBELET_EXTRA_ARGS=--node-ip=10.0.0.5   --max-pods=50\nnot an assignment\n9BAD=x\n",
                       "/etc/default/kubelet", env);
  EXPECT_EQ(env["KUBELET_EXTRA_ARGS"].value, "--node-ip=10.0.0.5 --max-pods=50");
  EXPECT_EQ(env.count("9BAD"), 0u);
}

TEST(YamlSetting, DottedPathsListsAndErrors) {
  const char* doc = "a:\n  b:\n    c: 5\n  list: [x, y]\n  map: {k: v}\n  nothing: ~\n";
  auto c = LookupYamlSetting(doc, "/k.yaml", "a.b.c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->text, "5");
  EXPECT_EQ(c->origin, "/k.yaml:3");
  auto list = LookupYamlSetting(doc, "/k.yaml", "a.list");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->is_list);
  EXPECT_EQ(list->items, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(LookupYamlSetting(doc, "/k.yaml", "a.missing.deeper")->present);
  EXPECT_FALSE(LookupYamlSetting(doc, "/k.yaml", "a.nothing")->present);
  auto map = LookupYamlSetting(doc, "/k.yaml", "a.map");
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.error().where().line, 5u);
  auto bad = LookupYamlSetting("a: [1, 2\n", "/k.yaml", "a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where().source, "/k.yaml");
  EXPECT_TRUE(bad.error().where().line.has_value());
}

}  // namespace
}  // namespace imawatch::compliance
