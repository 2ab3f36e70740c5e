//! DLQ redrive: StartMessageMoveTask, ListMessageMoveTasks,
//! CancelMessageMoveTask (SQS-API; SQS-DG "Configure a dead-letter queue
//! redrive"). A task moves the DLQ's available messages back to the queues
//! they came from (or to `DestinationArn`) at `MaxNumberOfMessagesPerSecond`
//! (1–500, default: as fast as possible), one second's worth at a time,
//! on tokio's clock. One task per source queue at a time. A FIFO DLQ is
//! redriven too, to a FIFO queue only (see [`start_message_move_task`]).

use serde::{Deserialize, Serialize};
use tokio::time::Duration;

use super::in_range;
use crate::sqs::Sqs;
use crate::sqs::error::{ErrorCode, SqsError, SqsResult};

/// A move task's state, shared between the API and its worker.
#[derive(Debug, Clone)]
pub struct MoveTask {
    pub handle: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub rate: Option<u32>,
    pub status: MoveStatus,
    pub moved: u64,
    pub to_move: u64,
    pub started_millis: i64,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveStatus {
    Running,
    Cancelling,
    Cancelled,
    Completed,
    Failed,
}

impl MoveStatus {
    fn as_str(self) -> &'static str {
        match self {
            MoveStatus::Running => "RUNNING",
            MoveStatus::Cancelling => "CANCELLING",
            MoveStatus::Cancelled => "CANCELLED",
            MoveStatus::Completed => "COMPLETED",
            MoveStatus::Failed => "FAILED",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMessageMoveTaskRequest {
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub max_number_of_messages_per_second: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMessageMoveTaskResponse {
    pub task_handle: String,
}

/// Without a rate, a task moves this many messages per second.
const UNTHROTTLED_RATE: usize = 1_000;

pub fn start_message_move_task(
    sqs: &Sqs,
    req: StartMessageMoveTaskRequest,
) -> SqsResult<StartMessageMoveTaskResponse> {
    let rate = match req.max_number_of_messages_per_second {
        Some(r) => Some(in_range("MaxNumberOfMessagesPerSecond", r, 1, 500)?),
        None => None,
    };
    let (now, now_millis) = sqs.now();
    let handle = {
        let mut engine = sqs.engine();
        let source = engine.name_by_arn(&req.source_arn).ok_or_else(|| {
            SqsError::new(
                ErrorCode::ResourceNotFoundException,
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            )
        })?;
        let is_dlq = engine.queues.values().any(|q| {
            q.settings
                .redrive_policy
                .as_ref()
                .is_some_and(|p| p.dead_letter_target_arn == req.source_arn)
        });
        if !is_dlq {
            return Err(SqsError::invalid_value(
                "SourceArn",
                &req.source_arn,
                "Source queue must be configured as a Dead Letter Queue.",
            ));
        }
        if let Some(destination) = &req.destination_arn {
            let Some(target) = engine
                .name_by_arn(destination)
                .and_then(|name| engine.queues.get(&name))
            else {
                return Err(SqsError::new(
                    ErrorCode::ResourceNotFoundException,
                    "The resource that you specified for the DestinationArn parameter doesn't exist.",
                ));
            };
            // "you can also configure any other queue as the redrive
            // destination if both queues are the same type. For example, if
            // the dead-letter queue is a FIFO queue, the redrive destination
            // queue must be a FIFO queue as well" (SQS-DG "Configure a
            // dead-letter queue redrive"). FIFO DLQs can be redriven: the
            // older API note "Currently, only standard queues support
            // redrive" is gone from the current StartMessageMoveTask page.
            let source_fifo = engine.queues.get(&source).is_some_and(|q| q.is_fifo());
            if target.is_fifo() != source_fifo {
                return Err(SqsError::invalid_value(
                    "DestinationArn",
                    destination,
                    "The destination queue must be of the same type as the source queue (FIFO to FIFO, standard to standard).",
                ));
            }
        }
        let running = sqs
            .move_tasks()
            .iter()
            .any(|t| t.source_arn == req.source_arn && t.status == MoveStatus::Running);
        if running {
            return Err(SqsError::new(
                ErrorCode::UnsupportedOperation,
                "There is already a task running. Only one active task is allowed for each source queue arn at a given time.",
            ));
        }
        let queue = engine.queue_mut_by_name(&source, now)?;
        let to_move = queue.counts().visible as u64;
        let handle = uuid::Uuid::new_v4().to_string();
        sqs.move_tasks().push(MoveTask {
            handle: handle.clone(),
            source_arn: req.source_arn.clone(),
            destination_arn: req.destination_arn.clone(),
            rate,
            status: MoveStatus::Running,
            moved: 0,
            to_move,
            started_millis: now_millis,
            failure_reason: None,
        });
        (handle, source, to_move)
    };
    let (task_handle, source, to_move) = handle;
    let worker = sqs.clone();
    let destination = req
        .destination_arn
        .and_then(|arn| worker.engine().name_by_arn(&arn));
    let per_second = rate.map_or(UNTHROTTLED_RATE, |r| r as usize);
    let id = task_handle.clone();
    tokio::spawn(async move {
        loop {
            let (now, now_millis) = worker.now();
            let step = {
                let mut engine = worker.engine();
                let task_moved = worker
                    .move_tasks()
                    .iter()
                    .find(|t| t.handle == id)
                    .map(|t| (t.status, t.moved));
                let Some((status, moved)) = task_moved else {
                    return;
                };
                if status == MoveStatus::Cancelling {
                    Err(None)
                } else {
                    let left = to_move.saturating_sub(moved) as usize;
                    engine
                        .redrive(
                            &source,
                            destination.as_deref(),
                            left.min(per_second),
                            now,
                            now_millis,
                        )
                        .map_err(Some)
                }
            };
            let finished = {
                let mut tasks = worker.move_tasks();
                let Some(task) = tasks.iter_mut().find(|t| t.handle == id) else {
                    return;
                };
                match step {
                    Ok(moved) => {
                        task.moved += moved as u64;
                        if moved == 0 || task.moved >= task.to_move {
                            task.status = MoveStatus::Completed;
                        }
                    }
                    Err(None) => task.status = MoveStatus::Cancelled,
                    Err(Some(reason)) => {
                        task.status = MoveStatus::Failed;
                        task.failure_reason = Some(reason);
                    }
                }
                task.status != MoveStatus::Running
            };
            if finished {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    Ok(StartMessageMoveTaskResponse { task_handle })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksRequest {
    pub source_arn: String,
    pub max_results: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MoveTaskEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_handle: Option<String>,
    pub status: String,
    pub source_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_number_of_messages_per_second: Option<u32>,
    pub approximate_number_of_messages_moved: u64,
    pub approximate_number_of_messages_to_move: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub started_timestamp: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksResponse {
    pub results: Vec<MoveTaskEntry>,
}

/// The most recent tasks first, up to MaxResults (1–10, default 1).
pub fn list_message_move_tasks(
    sqs: &Sqs,
    req: ListMessageMoveTasksRequest,
) -> SqsResult<ListMessageMoveTasksResponse> {
    let max = match req.max_results {
        Some(m) => in_range("MaxResults", m, 1, 10)? as usize,
        None => 1,
    };
    if sqs.engine().name_by_arn(&req.source_arn).is_none() {
        return Err(SqsError::new(
            ErrorCode::ResourceNotFoundException,
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ));
    }
    let results = sqs
        .move_tasks()
        .iter()
        .rev()
        .filter(|t| t.source_arn == req.source_arn)
        .take(max)
        .map(|t| MoveTaskEntry {
            task_handle: (t.status == MoveStatus::Running).then(|| t.handle.clone()),
            status: t.status.as_str().to_owned(),
            source_arn: t.source_arn.clone(),
            destination_arn: t.destination_arn.clone(),
            max_number_of_messages_per_second: t.rate,
            approximate_number_of_messages_moved: t.moved,
            approximate_number_of_messages_to_move: t.to_move,
            failure_reason: t.failure_reason.clone(),
            started_timestamp: t.started_millis,
        })
        .collect();
    Ok(ListMessageMoveTasksResponse { results })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelMessageMoveTaskRequest {
    pub task_handle: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelMessageMoveTaskResponse {
    pub approximate_number_of_messages_moved: u64,
}

pub fn cancel_message_move_task(
    sqs: &Sqs,
    req: CancelMessageMoveTaskRequest,
) -> SqsResult<CancelMessageMoveTaskResponse> {
    let mut tasks = sqs.move_tasks();
    let task = tasks
        .iter_mut()
        .find(|t| t.handle == req.task_handle)
        .ok_or_else(|| {
            SqsError::new(
                ErrorCode::ResourceNotFoundException,
                "The resource that you specified for the TaskHandle parameter doesn't exist.",
            )
        })?;
    if task.status != MoveStatus::Running {
        return Err(SqsError::new(
            ErrorCode::UnsupportedOperation,
            format!(
                "Only RUNNING tasks can be cancelled; this one is {}.",
                task.status.as_str()
            ),
        ));
    }
    task.status = MoveStatus::Cancelling;
    Ok(CancelMessageMoveTaskResponse {
        approximate_number_of_messages_moved: task.moved,
    })
}
