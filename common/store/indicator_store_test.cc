#include "common/store/indicator_store.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include <rocksdb/db.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/store/checkpoint_retention.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zb::store {
namespace {

std::string FreshDir() {
  static int counter = 0;
  std::string dir = absl::StrCat(::testing::TempDir(), "/store_test_", getpid(), "_", counter++);
  std::filesystem::remove_all(dir);
  return dir;
}

zhibiao::v1::Report MakeReport(int n, const std::string& region = "410700", int year = 2021) {
  zhibiao::v1::Report r;
  r.mutable_meta()->set_report_id(absl::StrFormat("%032x", n));
  r.mutable_meta()->set_title(absl::StrCat("报告", n));
  r.mutable_meta()->set_report_year(year);
  r.mutable_meta()->set_extractor_version("v1");
  r.mutable_meta()->mutable_region()->set_code(region);
  r.mutable_meta()->mutable_region()->set_province_code(region.substr(0, 2) + "0000");
  for (int i = 0; i < 3; ++i) {
    auto* ind = r.add_indicators();
    ind->set_seq(i);
    ind->set_metric_key(i == 2 ? "" : "case.count");
    ind->set_subject(i == 2 ? "满意率" : "受理案件");
    ind->mutable_quantity()->set_value(10 * (i + 1));
    ind->mutable_quantity()->set_unit(i == 2 ? "%" : "件");
    ind->mutable_quantity()->set_kind(i == 2 ? zhibiao::v1::UNIT_KIND_PERCENT
                                             : zhibiao::v1::UNIT_KIND_COUNT);
  }
  return r;
}

class IndicatorStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = FreshDir();
    options_.write_buffer_bytes = 64 << 10;  // small, so flushes happen
    auto store = IndicatorStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  StoreOptions options_;
  std::unique_ptr<IndicatorStore> store_;
};

TEST_F(IndicatorStoreTest, PutIsIdempotentAndReplacesOnNewExtractorVersion) {
  auto first = store_->Put(MakeReport(1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->outcome, zhibiao::v1::PUT_OUTCOME_STORED);
  auto again = store_->Put(MakeReport(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, zhibiao::v1::PUT_OUTCOME_UNCHANGED);
  EXPECT_EQ(again->ingested_at_unix_ms, first->ingested_at_unix_ms);
  auto newer = MakeReport(1);
  newer.mutable_meta()->set_extractor_version("v2");
  newer.mutable_indicators()->RemoveLast();
  auto replaced = store_->Put(newer);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->outcome, zhibiao::v1::PUT_OUTCOME_REPLACED);
  agg::PartialAggregator all({});
  auto scanned = store_->Aggregate({}, &all);
  ASSERT_TRUE(scanned.ok());
  EXPECT_EQ(*scanned, 2);  // the old third index entry is gone
}

// A caller's new hints re-extract the report: the same text sent again with
// a region hint replaces the stored copy and its region entry; the same text
// under another file name or with other labels is still a duplicate.
TEST_F(IndicatorStoreTest, NewHintsReplaceTheReportAndAnotherFileNameDoesNot) {
  auto unplaced = MakeReport(1);
  unplaced.mutable_meta()->clear_region();
  ASSERT_TRUE(store_->Put(unplaced).ok());
  auto renamed = unplaced;
  renamed.mutable_meta()->set_source_name("copy-of-report.txt");
  (*renamed.mutable_meta()->mutable_labels())["batch"] = "2";
  auto duplicate = store_->Put(renamed);
  ASSERT_TRUE(duplicate.ok()) << duplicate.status();
  EXPECT_EQ(duplicate->outcome, zhibiao::v1::PUT_OUTCOME_UNCHANGED);

  auto hinted = MakeReport(1, "410700");  // the hint gave it a region
  hinted.mutable_meta()->mutable_hints()->set_region_code("410700");
  auto replaced = store_->Put(hinted);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->outcome, zhibiao::v1::PUT_OUTCOME_REPLACED);
  ListQuery by_region;
  by_region.region_code = "410700";
  auto listed = store_->List(by_region);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->reports.size(), 1u);
  EXPECT_EQ(listed->reports[0].hints().region_code(), "410700");
  ListQuery everything;
  auto all = store_->List(everything);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->reports.size(), 1u);  // the region-less entry is gone
  auto again = store_->Put(hinted);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, zhibiao::v1::PUT_OUTCOME_UNCHANGED);
}

// What query's result cache compares: one more generation for every write
// that changes the index, none for a write that changes nothing.
TEST_F(IndicatorStoreTest, IndexGenerationCountsChangingWritesOnly) {
  const uint64_t start = store_->index_generation();
  ASSERT_TRUE(store_->Put(MakeReport(1)).ok());
  const uint64_t stored = store_->index_generation();
  EXPECT_GT(stored, start);
  ASSERT_TRUE(store_->Put(MakeReport(1)).ok());  // unchanged
  EXPECT_EQ(store_->index_generation(), stored);
  EXPECT_EQ(store_->Delete(MakeReport(2).meta().report_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->index_generation(), stored);
  // An answer says which generation it was computed at.
  zhibiao::v1::AggregateIndicatorsRequest request;
  std::vector<zhibiao::v1::PartialAggregate> out;
  uint64_t generation = 0;
  ASSERT_TRUE(store_->AggregatePartials(request, &out, nullptr, &generation).ok());
  EXPECT_EQ(generation, stored);
  ASSERT_TRUE(store_->Delete(MakeReport(1).meta().report_id()).ok());
  EXPECT_GT(store_->index_generation(), stored);
}

TEST_F(IndicatorStoreTest, GetListDelete) {
  ASSERT_TRUE(store_->Put(MakeReport(1, "410700", 2021)).ok());
  ASSERT_TRUE(store_->Put(MakeReport(2, "410700", 2022)).ok());
  ASSERT_TRUE(store_->Put(MakeReport(3, "420322", 2022)).ok());
  auto got = store_->Get(absl::StrFormat("%032x", 2));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->meta().title(), "报告2");
  EXPECT_EQ(store_->Get(absl::StrFormat("%032x", 9)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("nothex").status().code(), absl::StatusCode::kInvalidArgument);

  ListQuery by_region;
  by_region.region_code = "410700";
  EXPECT_EQ(store_->List(by_region)->reports.size(), 2u);
  ListQuery by_province;
  by_province.province_code = "420000";
  EXPECT_EQ(store_->List(by_province)->reports.size(), 1u);
  ListQuery by_year;
  by_year.year = 2022;
  EXPECT_EQ(store_->List(by_year)->reports.size(), 2u);
  ListQuery paged;
  paged.page_size = 2;
  auto page1 = store_->List(paged);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->reports.size(), 2u);
  ASSERT_FALSE(page1->next_page_token.empty());
  paged.page_token = page1->next_page_token;
  auto page2 = store_->List(paged);
  ASSERT_EQ(page2->reports.size(), 1u);
  EXPECT_TRUE(page2->next_page_token.empty());

  auto removed = store_->Delete(absl::StrFormat("%032x", 2));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 3);
  EXPECT_EQ(store_->Delete(absl::StrFormat("%032x", 2)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->List(by_region)->reports.size(), 1u);
  agg::PartialAggregator all({});
  EXPECT_EQ(*store_->Aggregate({}, &all), 6);
}

TEST_F(IndicatorStoreTest, AggregateFiltersAndGroupsPerUnit) {
  ASSERT_TRUE(store_->Put(MakeReport(1, "410700", 2021)).ok());
  ASSERT_TRUE(store_->Put(MakeReport(2, "420322", 2021)).ok());
  google::protobuf::RepeatedField<int> group_by;
  group_by.Add(zhibiao::v1::GROUP_BY_REGION);
  agg::PartialAggregator aggregator(group_by);
  zhibiao::v1::IndicatorFilter filter;
  filter.add_metric_keys("case.count");
  auto scanned = store_->Aggregate(filter, &aggregator);
  ASSERT_TRUE(scanned.ok());
  EXPECT_EQ(*scanned, 4);
  auto groups = aggregator.Finish();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].group_values(0), "410700");
  EXPECT_EQ(groups[0].count(), 2);
  EXPECT_EQ(groups[0].sum(), 30);
}

TEST_F(IndicatorStoreTest, ConcurrentDuplicatesStoreExactlyOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> stored{0}, unchanged{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < 20; ++n) {
        auto r = store_->Put(MakeReport(n));
        ASSERT_TRUE(r.ok()) << r.status();
        (r->outcome == zhibiao::v1::PUT_OUTCOME_STORED ? stored : unchanged)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stored.load(), 20);
  EXPECT_EQ(unchanged.load(), 140);
  ListQuery all;
  all.page_size = 1000;
  EXPECT_EQ(store_->List(all)->reports.size(), 20u);
}

TEST_F(IndicatorStoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(store_->Put(MakeReport(5)).ok());
  store_->Close();
  store_.reset();
  auto reopened = IndicatorStore::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->Get(absl::StrFormat("%032x", 5)).ok());
}

// A report moving here (PutReportRequest.replaces_report_id) carries an
// arriving mark that aggregations report and that survives a restart, until
// it is settled or the report deleted; a re-extraction in place has none.
TEST_F(IndicatorStoreTest, ArrivingMarksUntilSettledOrDeleted) {
  const zhibiao::v1::Report moved = MakeReport(1);
  const std::string id = moved.meta().report_id();
  ASSERT_TRUE(store_->Put(moved, id).ok());  // not stored here before: a move
  ASSERT_EQ(store_->Arriving().size(), 1u);
  EXPECT_EQ(store_->Arriving()[0].report_id(), id);
  EXPECT_EQ(store_->Arriving()[0].replaces_report_id(), id);
  zhibiao::v1::AggregateIndicatorsRequest request;
  std::vector<zhibiao::v1::PartialAggregate> groups;
  std::vector<zhibiao::v1::ArrivingReport> counted;
  ASSERT_TRUE(store_->AggregatePartials(request, &groups, nullptr, nullptr, &counted).ok());
  ASSERT_EQ(counted.size(), 1u);
  EXPECT_EQ(counted[0].report_id(), id);
  // Left out on request: nothing counted, nothing arriving among the counted.
  request.add_exclude_report_ids(id);
  ASSERT_TRUE(store_->AggregatePartials(request, &groups, nullptr, nullptr, &counted).ok());
  EXPECT_TRUE(groups.empty());
  EXPECT_TRUE(counted.empty());

  // Another id replaced by a new one (an id change): marked, and an UNCHANGED
  // put of a report already here still writes a missing mark.
  const zhibiao::v1::Report renamed = MakeReport(2);
  ASSERT_TRUE(store_->Put(renamed).ok());
  auto again = store_->Put(renamed, std::string(32, 'a'));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, zhibiao::v1::PUT_OUTCOME_UNCHANGED);
  EXPECT_EQ(store_->Arriving().size(), 2u);
  // In place: the id it replaces is its own, stored here.
  zhibiao::v1::Report in_place = MakeReport(3);
  ASSERT_TRUE(store_->Put(in_place).ok());
  in_place.mutable_meta()->set_extractor_version("v2");
  ASSERT_TRUE(store_->Put(in_place, in_place.meta().report_id()).ok());
  EXPECT_EQ(store_->Arriving().size(), 2u);
  auto listed = store_->List(ListQuery{});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->arriving.size(), 2u);

  EXPECT_FALSE(store_->Put(MakeReport(4), "not-an-id").ok());
  const uint64_t before_settle = store_->index_generation();
  EXPECT_EQ(store_->Settle(id).value_or(-1), 1);
  EXPECT_GT(store_->index_generation(), before_settle);  // answers cached before are stale
  EXPECT_EQ(store_->Settle(id).value_or(-1), 0);
  EXPECT_TRUE(absl::IsNotFound(store_->Settle(absl::StrFormat("%032x", 99)).status()));
  ASSERT_EQ(store_->Arriving().size(), 1u);
  EXPECT_EQ(store_->Arriving()[0].report_id(), renamed.meta().report_id());

  // Kept across a restart; gone with the report.
  store_.reset();
  auto reopened = IndicatorStore::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = *std::move(reopened);
  ASSERT_EQ(store_->Arriving().size(), 1u);
  ASSERT_TRUE(store_->Delete(renamed.meta().report_id()).ok());
  EXPECT_TRUE(store_->Arriving().empty());
  listed = store_->List(ListQuery{});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->arriving.empty());
}

TEST(IndicatorStoreSchemaTest, NewerSchemaIsRefused) {
  StoreOptions options;
  options.data_dir = FreshDir();
  {
    auto store = IndicatorStore::Open(options);
    ASSERT_TRUE(store.ok());
  }
  // Pretend a newer zhibiao wrote this database.
  {
    rocksdb::DBOptions db_options;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : {"default", "reports", "report_by_region", "ind_by_metric", "meta"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(db_options, options.data_dir, cfs, &handles, &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[4], "schema_version", "99").ok());
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  auto store = IndicatorStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 99"), absl::string_view::npos)
      << store.status();
}

TEST_F(IndicatorStoreTest, ASecondOpenOfTheSameDirectoryIsRefusedEvenWithoutRocksDbsLock) {
  // An operator deleting RocksDB's LOCK file must not let a second process in.
  std::filesystem::remove(options_.data_dir + "/LOCK");
  auto second = IndicatorStore::Open(options_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another storage process"), absl::string_view::npos)
      << second.status();
  // The first keeps working, and once it closes the directory opens again.
  ASSERT_TRUE(store_->Put(MakeReport(1)).ok());
  store_->Close();
  store_.reset();
  auto reopened = IndicatorStore::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->Get(MakeReport(1).meta().report_id()).ok());
}

TEST_F(IndicatorStoreTest, CheckpointInsideTheLiveDirectoryIsRefused) {
  ASSERT_TRUE(store_->Put(MakeReport(1)).ok());
  for (const std::string& inside :
       {options_.data_dir + "/backup", options_.data_dir + "/./x/../backup2"}) {
    const std::string absolute = std::filesystem::absolute(inside).string();
    auto refused = store_->Checkpoint(absolute);
    ASSERT_FALSE(refused.ok()) << inside;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
    EXPECT_NE(refused.status().message().find("inside the live data directory"),
              absl::string_view::npos);
  }
  // Through a symbolic link that points into it, too.
  const std::string link = std::filesystem::absolute(options_.data_dir + "-link").string();
  std::filesystem::remove(link);
  std::filesystem::create_directory_symlink(std::filesystem::absolute(options_.data_dir), link);
  EXPECT_EQ(store_->Checkpoint(link + "/backup").status().code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(link);
  // Beside it is fine.
  auto beside =
      store_->Checkpoint(std::filesystem::absolute(options_.data_dir + "-checkpoint").string());
  ASSERT_TRUE(beside.ok()) << beside.status();
  std::filesystem::remove_all(options_.data_dir + "-checkpoint");
}

TEST_F(IndicatorStoreTest, CheckpointsBeyondKeepAreRemovedOldestFirstAndOnlyMarkedOnes) {
  ASSERT_TRUE(store_->Put(MakeReport(1)).ok());
  const std::string root = std::filesystem::absolute(options_.data_dir + "-backups").string();
  std::filesystem::remove_all(root);
  // What retention must never touch: a folder made by hand, another shard's checkpoint.
  std::filesystem::create_directories(root + "/by-hand/shard-0");
  auto other_shard = store_->Checkpoint(root + "/run-1/shard-1");
  ASSERT_TRUE(other_shard.ok()) << other_shard.status();
  std::vector<std::vector<std::string>> removed;
  for (int run = 1; run <= 4; ++run) {
    auto written = store_->Checkpoint(absl::StrCat(root, "/run-", run, "/shard-0"), /*keep=*/2);
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(written->reports, 1);
    EXPECT_TRUE(
        std::filesystem::exists(absl::StrCat(root, "/run-", run, "/shard-0/", kCheckpointMarker)));
    removed.push_back(written->removed);
  }
  using ::testing::ElementsAre;
  EXPECT_THAT(removed,
              ElementsAre(ElementsAre(), ElementsAre(), ElementsAre(root + "/run-1/shard-0"),
                          ElementsAre(root + "/run-2/shard-0")));
  EXPECT_TRUE(std::filesystem::exists(root + "/by-hand/shard-0"));
  EXPECT_TRUE(std::filesystem::exists(root + "/run-1/shard-1"));  // run-1 stays: shard 1's is in it
  EXPECT_FALSE(std::filesystem::exists(root + "/run-2"));         // emptied, so removed
  EXPECT_TRUE(std::filesystem::exists(root + "/run-3/shard-0/CURRENT"));
  EXPECT_TRUE(std::filesystem::exists(root + "/run-4/shard-0/CURRENT"));
  // keep = 0 keeps every one.
  auto all = store_->Checkpoint(root + "/run-5/shard-0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->removed.empty());
  std::filesystem::remove_all(root);
}

TEST(IndicatorStoreHealthTest, ADiskBelowTheFloorRefusesPutsAndRecoversByItself) {
  // The free space is simulated: the real disk is shared with tests running
  // beside this one, so a floor relative to it would be a race.
  auto free_bytes = std::make_shared<std::atomic<int64_t>>(int64_t{1} << 30);
  StoreOptions options;
  options.data_dir = FreshDir();
  options.min_free_disk_bytes = int64_t{256} << 20;
  options.free_disk_bytes = [free_bytes](const std::string&) -> absl::StatusOr<int64_t> {
    return free_bytes->load();
  };
  auto store = IndicatorStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Health().ok()) << (*store)->Health();

  free_bytes->store(int64_t{100} << 20);  // the disk fills past the floor
  absl::Status health = (*store)->Health();
  EXPECT_EQ(health.code(), absl::StatusCode::kResourceExhausted) << health;
  EXPECT_NE(health.message().find("100 MiB free, below the floor of 256 MiB (--min_free_disk_mb)"),
            absl::string_view::npos)
      << health;
  auto refused = (*store)->Put(MakeReport(1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_TRUE((*store)->Get(MakeReport(1).meta().report_id()).status().code() ==
              absl::StatusCode::kNotFound);  // reads still answer

  free_bytes->store(int64_t{2} << 30);  // space is freed: no restart needed
  EXPECT_TRUE((*store)->Health().ok()) << (*store)->Health();
  EXPECT_TRUE((*store)->Put(MakeReport(1)).ok());
}

TEST(IndicatorStoreHealthTest, TheRealFreeSpaceIsReadFromTheFileSystem) {
  const std::string dir = FreshDir();
  std::filesystem::create_directories(dir);
  struct statvfs fs;
  ASSERT_EQ(statvfs(dir.c_str(), &fs), 0);
  auto free_bytes = FreeDiskBytes(dir);
  ASSERT_TRUE(free_bytes.ok()) << free_bytes.status();
  EXPECT_GE(*free_bytes, 0);
  EXPECT_LE(*free_bytes, static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize));
  EXPECT_EQ(FreeDiskBytes(dir + "/missing").status().code(), absl::StatusCode::kUnavailable);
}

TEST(IndicatorStoreHealthTest, NoFloorMeansHealthyWhateverTheDisk) {
  StoreOptions options;
  options.data_dir = FreshDir();
  options.min_free_disk_bytes = 0;
  auto store = IndicatorStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Health().ok());
}

}  // namespace
}  // namespace zb::store
